"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden from the environment (GUNICORN_*) or the command line. The app is
synchronous and its requests are short (a claim submit is a handful of statements), so sync
workers — one request at a time each, one persistent database connection each — are the right
model; size them by cores: 2–4 per core. Behind a load balancer the proxy buffers slow clients.
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")  # "gthread" with GUNICORN_THREADS > 1
threads = _int("GUNICORN_THREADS", 1)
# A request stuck longer than this (a dead database, a frozen upload) is killed and the worker replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (jittered so they do not all restart at once): bounds slow leaks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2_000)
# Each worker imports the app itself: nothing (a database connection above all) is opened in the
# master and then shared by forked workers.
preload_app = False
# Several gunicorns may share a machine (the integration test runs two): no shared control socket.
control_socket_disable = True
# The load balancer sets X-Forwarded-For/Proto; only addresses listed here are believed
# (comma-separated, e.g. the balancer's private address). Django reads the scheme through
# SECURE_PROXY_SSL_HEADER and the client address through TRUSTED_PROXY_COUNT (settings).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Temporary upload files and the worker heartbeat in memory rather than on a possibly slow disk.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
