"""Login rate limits behind the load balancer: keyed on the real client address, sized for an outage.

REMOTE_ADDR is the proxy's (127.0.0.1 in the test client) for every request; the client address is
in X-Forwarded-For. Without a trusted proxy count the whole site would share one per-address limit.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.compensation.portal import client_for
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-Secret-123"  # UserFactory's


@pytest.fixture(autouse=True)
def _clean_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def verified_user(email):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def login(client, email, password, *, forwarded_for):
    client.post(
        reverse("account_login"), {"login": email, "password": password}, headers={"x-forwarded-for": forwarded_for}
    )
    signed_in = "_auth_user_id" in client.session
    client.logout()
    return signed_in


def failed_login_throttled(email, *, forwarded_for):
    response = client_for().post(
        reverse("account_login"), {"login": email, "password": "wrong"}, headers={"x-forwarded-for": forwarded_for}
    )
    return response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


@pytest.mark.django_db
def test_behind_the_proxy_many_claimants_sign_in_at_once_without_sharing_one_limit(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    users = [verified_user(f"user{i}@example.com") for i in range(45)]
    client = client_for()
    # 45 sign-ins in a minute through one proxy address (the old limit was 30 a minute for the whole site).
    results = [login(client, u.email, PASSWORD, forwarded_for=f"203.0.113.{i + 1}") for i, u in enumerate(users)]
    assert all(results)


@pytest.mark.django_db
def test_per_address_limit_is_sized_for_a_shared_address():
    """Even without a proxy: one office or carrier NAT address signs in far more than 30 people a minute."""
    users = [verified_user(f"nat{i}@example.com") for i in range(45)]
    client = client_for()
    assert all(login(client, u.email, PASSWORD, forwarded_for="198.51.100.7") for u in users)


@pytest.mark.django_db
def test_one_client_address_is_limited_and_others_behind_the_proxy_are_not(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    for i in range(3):
        assert not failed_login_throttled(f"guess{i}@example.com", forwarded_for="203.0.113.9")
    assert failed_login_throttled("guess9@example.com", forwarded_for="203.0.113.9")
    assert not failed_login_throttled("guess9@example.com", forwarded_for="203.0.113.10")


@pytest.mark.django_db
def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    for i in range(3):
        failed_login_throttled(f"guess{i}@example.com", forwarded_for=f"192.0.2.{i + 1}")
    # Rotating the header does not buy a fresh limit: the address is the connection's.
    assert failed_login_throttled("guess9@example.com", forwarded_for="192.0.2.99")


@pytest.mark.django_db
def test_only_the_entry_our_proxy_added_counts(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    for i in range(3):
        failed_login_throttled(f"guess{i}@example.com", forwarded_for=f"10.9.9.{i}, 203.0.113.50")
    # The client forged a first entry each time; the entry our proxy appended is the same address.
    assert failed_login_throttled("guess9@example.com", forwarded_for="10.9.9.200, 203.0.113.50")


@pytest.mark.django_db
def test_per_account_limit_stays_strict_from_any_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    verified_user("park@example.com")
    client = client_for()
    for i in range(5):
        assert not login(client, "park@example.com", "wrong", forwarded_for=f"203.0.113.{20 + i}")
    # Even the right password from a fresh address is refused while the account is throttled.
    assert not login(client, "park@example.com", PASSWORD, forwarded_for="203.0.113.99")


def test_trusted_proxy_count_and_address_limit_come_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
        VAR_DIR=str(tmp_path),
        TRUSTED_PROXY_COUNT="2",
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE="600",
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ACCOUNT_RATE_LIMITS['login'], "
        "settings.ACCOUNT_RATE_LIMITS['login_failed'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "600/m/ip", "300/m/ip,5/5m/key"]


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded_for", ["203.0.113.61", "", " , ", "not-an-address"])
def test_a_forwarded_for_shorter_than_the_proxy_count_signs_in_instead_of_a_500(settings, forwarded_for):
    """A request that reached only some of our proxies (or came with a mangled header) is not a 500."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    user = verified_user("short-xff@example.com")
    client = client_for()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"x-forwarded-for": forwarded_for},
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_short_forwarded_for_keys_the_limit_on_its_leftmost_address(settings):
    """Every entry was appended by a proxy of ours: the leftmost is the client; others keep their own limit."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    for i in range(3):
        assert not failed_login_throttled(f"short{i}@example.com", forwarded_for="203.0.113.70")
    assert failed_login_throttled("short9@example.com", forwarded_for="203.0.113.70")
    assert not failed_login_throttled("short9@example.com", forwarded_for="203.0.113.71")
