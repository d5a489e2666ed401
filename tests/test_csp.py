"""A Content-Security-Policy on every page that forbids inline script, and no page relies on inline script."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import IncidentFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
PAGES = (
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/claims/",
    "/admin/",
    "/admin/compensation/claim/",
    "/admin/incidents/incident/",
    "/admin/incidents/incident/add/",
    "/admin/incidents/holiday/",
    "/admin/compensation/claim/reports/incidents/",
)


def script_src(policy):
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("script-src"))


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_sends_a_policy_without_inline_script(signed_in):
    IncidentFactory()
    client = Client()
    if signed_in:
        client.force_login(get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw"))
    for path in PAGES:
        response = client.get(path, follow=True)
        policy = response["Content-Security-Policy"]
        assert script_src(policy) == "script-src 'self'", (path, policy)
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
        assert not EVENT_HANDLER.search(html), (path, EVENT_HANDLER.search(html).group(0))


def test_production_settings_keep_the_policy():
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.MIDDLEWARE, settings.CONTENT_SECURITY_POLICY]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    middleware, policy = json.loads(out.stdout.strip().splitlines()[-1])
    assert "csp.middleware.CSPMiddleware" in middleware
    assert policy["DIRECTIVES"]["script-src"] == ["'self'"]
