"""Shared browser-test fixtures: Debian's Chromium through pytest-playwright, a live server.

Use pytest-playwright's `page` fixture as usual; it launches /usr/bin/chromium with the
flags below. `staff_page` / `login` sign a user in to the admin. Mark tests `@pytest.mark.e2e`.
"""

import os
from datetime import date
from pathlib import Path

import pytest

from tests.integration.services import service_unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory's password
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e-screenshots"


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the ORM (and the database
    # flush after each test) must still work here. Only set once a browser test runs, so a
    # unit run keeps Django's async-safety check and its subprocesses never inherit it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        service_unavailable(
            f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver", suite="make test-e2e"
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Korean first, like the exchange's users; tests switch language explicitly when needed.
    return {**browser_context_args, "locale": "ko-KR", "timezone_id": "Asia/Seoul"}


@pytest.fixture
def e2e_db(transactional_db):
    """A database the live server sees, with the rows data migrations would have seeded.

    TransactionTestCase flushes tables between tests, so the holiday seed is gone after the
    first one; role groups come back by the post_migrate signal, holidays do not.
    """
    from incidents.calendar import forget_cached_calendar
    from incidents.holiday_sync import sync_holiday_rows
    from incidents.models import Holiday

    year = date.today().year
    sync_holiday_rows(Holiday, year - 2, year + 1)
    forget_cached_calendar()
    return transactional_db


@pytest.fixture
def server(live_server, e2e_db, settings):
    # Links in mails lead to SITE_URL: here, this live server.
    settings.SITE_URL = live_server.url
    return live_server


@pytest.fixture
def login(server):
    """login(page, user): sign `user` in to the admin in this browser page."""

    def _login(page, user, password=PASSWORD):
        # /admin/login/ hands staff to the allauth login (throttled); it signs in verified addresses only.
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        page.goto(f"{server.url}/admin/login/")
        page.fill("#id_login", user.email)
        page.fill("#id_password", password)
        page.click("form.account-form button[type=submit]")
        page.wait_for_url(f"{server.url}/admin/")
        return page

    return _login


@pytest.fixture
def staff_page(page, login):
    """staff_page(user): the pytest-playwright page, signed in to the admin as `user`."""
    return lambda user: login(page, user)


@pytest.fixture
def screenshot(page):
    """screenshot(name): save a full-page PNG under var/e2e-screenshots/ for a human to look at."""

    def _shot(name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def sign_up(server):
    """sign_up(page, email, password): a new claimant account, confirmed by the emailed link; ends on /claims/."""
    import re

    from django.core import mail

    def _sign_up(page, email, password):
        page.goto(f"{server.url}/accounts/signup/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password1]", password)
        page.fill("input[name=password2]", password)
        page.press("input[name=password2]", "Enter")
        page.wait_for_url(f"{server.url}/accounts/confirm-email/")
        [message] = [m for m in mail.outbox if email in m.to and "/accounts/confirm-email/" in m.body]
        page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0))
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{server.url}/claims/")
        return page

    return _sign_up
