"""Real components for the notification tests: a Celery worker subprocess, Redis, an SMTP server.

Outside CI a missing Redis or PostgreSQL skips with the reason; with CI=true it fails.
"""

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import policy
from pathlib import Path

import pytest

from .services import redis_problem, service_unavailable

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
# A database of our own on the shared Redis, flushed before and after.
BROKER_URL = f"{REDIS_SERVER}/5"
DEAD_BROKER_URL = "redis://127.0.0.1:1/5"  # nothing listens on port 1


def require_services():
    # PostgreSQL is checked for the whole suite in conftest; the worker also needs its Redis db.
    problem = redis_problem(BROKER_URL)
    if problem:
        service_unavailable(problem)


def flush_redis():
    import redis

    redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2).flushdb()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps a message only if the client is still there to hear "250"."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []
        self.in_flight = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        self.in_flight += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            transport = server.transport
            if transport is None or transport.is_closing():
                return "451 client went away"  # never acknowledged: the sender must try again
            with self._lock:
                self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"
        finally:
            self.in_flight -= 1

    def count(self):
        with self._lock:
            return len(self.messages)

    def keys(self):
        with self._lock:
            return [m["X-Notification-Key"] for m in self.messages]


@contextmanager
def smtp_server(delay=0.0):
    from aiosmtpd.controller import Controller

    inbox = Inbox(delay=delay)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


class Worker:
    """`celery worker` in a subprocess, pointed at the test database, Redis db 5 and our SMTP port."""

    def __init__(self, *, database_name, smtp_port, log_path, queues=None):
        from django.conf import settings

        self.queues = queues
        db = settings.DATABASES["default"]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}",
            "CELERY_BROKER_URL": BROKER_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "REDIS_URL": "",
        }
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                *(["-Q", self.queues] if self.queues else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")[-4000:]


def wait_for(predicate, *, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def broker(url):
    """Point this process's Celery app at `url` (real publishing, not eager) for the block."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def reset():
        from kombu import pools

        # Producer pools are cached per connection in kombu's global registry: drop them all.
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset()
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset()


@pytest.fixture
def real_components(transactional_db, tmp_path):
    """Yields (inbox, start_worker, kill) with Redis flushed; the worker is always killed."""
    from django.db import connection

    require_services()
    flush_redis()
    workers = []
    with smtp_server(delay=0.0) as (inbox, port), broker(BROKER_URL):

        def start(delay=None, queues=None):
            if delay is not None:
                inbox.delay = delay
            worker = Worker(
                database_name=connection.settings_dict["NAME"],
                smtp_port=port,
                log_path=tmp_path / f"worker{len(workers)}.log",
                queues=queues,
            ).start()
            workers.append(worker)
            try:
                wait_for(
                    lambda: "ready." in worker.log() or worker.process.poll() is not None,
                    timeout=90,
                    what="the worker to start",
                )
            except AssertionError:
                raise AssertionError(worker.log()) from None
            assert worker.process.poll() is None, worker.log()
            return worker

        try:
            yield inbox, start
        finally:
            for worker in workers:
                worker.kill()
            flush_redis()
