"""Real processes for the multi-machine tests: moto's S3 server and gunicorn instances.

Each is a subprocess in its own session, stopped (killpg) when the test ends, on a free port of
127.0.0.1. The gunicorns run `config/gunicorn.conf.py` with the loopback variant of the production
settings (plain HTTP) against the test's PostgreSQL database, a Redis db and the object store.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .notification_support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
S3_KEY, S3_SECRET = "testing", "testing"


class Process:
    def __init__(self, args, *, env, log_path):
        self.log_path = Path(log_path)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:]


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except Exception:  # noqa: BLE001 - not up yet
        return False


class S3Server(Process):
    """moto's standalone S3 server (`moto[server]`), in memory."""

    def __init__(self, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)], env=dict(os.environ), log_path=log_path
        )
        wait_for(lambda: answers(f"{self.url}/moto-api/") or not self.alive(), timeout=60, what="moto to start")
        assert self.alive(), self.log()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name="us-east-1",
        )

    def create_bucket(self, name):
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket):
        found = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(item["Key"] for item in found)

    def storage(self, bucket):
        """The documents' django-storages backend on this server, as production configures it."""
        from storages.backends.s3 import S3Storage

        return S3Storage(
            bucket_name=bucket,
            endpoint_url=self.url,
            access_key=S3_KEY,
            secret_key=S3_SECRET,
            region_name="us-east-1",
            location="documents",
            addressing_style="path",
            default_acl="private",
            file_overwrite=True,
        )


def web_env(*, database_url, redis_url, bucket, s3_url, media_root):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.loopback",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        DOCUMENTS_S3_BUCKET=bucket,
        DOCUMENTS_S3_ENDPOINT_URL=s3_url,
        DOCUMENTS_S3_REGION="us-east-1",
        DOCUMENTS_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID=S3_KEY,
        AWS_SECRET_ACCESS_KEY=S3_SECRET,
        PRIVATE_MEDIA_ROOT=str(media_root),
        VAR_DIR=str(media_root.parent),
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
    )
    return env


class Gunicorn(Process):
    """`gunicorn -c config/gunicorn.conf.py config.wsgi` with the given environment."""

    def __init__(self, *, env, log_path, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers)}
        super().__init__(
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--no-control-socket", "config.wsgi"],
            env=env,
            log_path=log_path,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.alive() and not answers(f"{self.url}/healthz"):
            time.sleep(0.2)
        assert self.alive() and answers(f"{self.url}/healthz"), self.log()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
