"""Production settings: refuse to start without SECRET_KEY, pass `check --deploy` cleanly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_check_deploy_has_no_warnings(tmp_path):
    result = manage(
        "check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com", VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_secret_key(secret, tmp_path):
    env = {"ALLOWED_HOSTS": "example.com", "VAR_DIR": str(tmp_path)}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
