"""A Redis server of the test's own (ports 6390-6399), so a test can stop it, freeze it (SIGSTOP)
and thaw it without touching the machine's shared Redis or another suite's."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

from .services import service_unavailable

PORTS = range(6390, 6400)
DB = 5


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class PrivateRedis:
    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/{DB}"
        self.process = None
        self.frozen = False

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self):
        """Down: the port refuses connections."""
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self):
        """Frozen: connections are accepted by the kernel but nothing answers (SIGSTOP)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.frozen and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False


@contextmanager
def private_redis():
    if shutil.which("redis-server") is None:
        service_unavailable("redis-server is not installed (apt-get install redis-server)")
    port = next((p for p in PORTS if _free(p)), None)
    if port is None:
        service_unavailable("no free port in 6390-6399 for a private redis-server")
    server = PrivateRedis(port).start()
    try:
        yield server
    finally:
        server.stop()
