"""Production process settings: persistent database connections and the gunicorn config in the repo."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_value(expression, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DB_CONN_MAX_AGE")}
    base.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        **env,
    )
    code = f"import django; django.setup(); from django.conf import settings; print(repr({expression}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_keeps_database_connections_with_health_checks():
    value = production_value(
        "(settings.DATABASES['default']['CONN_MAX_AGE'], settings.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    assert value == "(600, True)"


def test_production_connection_age_is_a_setting():
    assert production_value("settings.DATABASES['default']['CONN_MAX_AGE']", DB_CONN_MAX_AGE="0") == "0"


def test_gunicorn_config_in_the_repository_is_valid(monkeypatch):
    from gunicorn.config import Config

    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8171")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    values = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)
    assert config.bind == ["127.0.0.1:8171"]
    assert config.workers == 3
    assert config.worker_class_str == "sync"
    assert config.settings["control_socket_disable"].get() is True
    assert config.timeout == 30


def test_production_sessions_are_read_from_the_shared_cache_and_kept_in_the_database():
    engine = production_value("settings.SESSION_ENGINE", REDIS_URL="redis://127.0.0.1:6379/7")
    assert engine == "'django.contrib.sessions.backends.cached_db'"
