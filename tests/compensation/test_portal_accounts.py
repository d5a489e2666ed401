"""Claimant accounts (django-allauth): email login, mandatory verification, reset, throttled login."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.compensation.portal import client_for
from tests.factories import UserFactory

PASSWORD = "Kimchi-Outage-2025!"


def link_in(message):
    return re.search(r"https?://[^\s]+", message.body).group(0)


@pytest.fixture(autouse=True)
def _clean_rate_limits():
    from django.core.cache import cache

    cache.clear()


def signup(client, email="new@example.com"):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.django_db
def test_signup_needs_the_emailed_link_before_the_first_sign_in(django_capture_on_commit_callbacks):
    from compensation.models import Notification

    client = client_for()
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    # The link went through the outbox like every other message: retried if the mail server is down.
    row = Notification.objects.get(kind="account_mail", to_email="new@example.com")
    assert row.state == Notification.State.SENT and row.recipient is not None
    # Not verified yet: signing in sends another link instead of a session.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_login"), {"login": "new@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("compensation:claim_list")).status_code == 302

    confirm_url = link_in(mail.outbox[0])
    page = client.get(confirm_url)
    # The form that confirms this address (an expired link shows the same heading, without it).
    assert page.status_code == 200 and "Confirm that new@example.com is your email address." in page.content.decode()
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert client.get(reverse("compensation:claim_list")).status_code == 200


@pytest.mark.django_db
def test_email_is_the_login_and_the_pages_use_our_layout():
    from allauth.account.models import EmailAddress

    user = UserFactory(email="kim@example.com", username="kim")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_for()
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in page and 'for="id_login"' in page and 'type="email"' in page
    response = client.post(reverse("account_login"), {"login": "kim@example.com", "password": "pw-Secret-123"})
    assert response.status_code == 302 and response["Location"] == reverse("compensation:claim_list")


@pytest.mark.django_db
def test_signup_form_asks_only_email_and_password():
    page = client_for().get(reverse("account_signup")).content.decode()
    assert 'name="email"' in page and 'name="password1"' in page and 'name="password2"' in page
    assert 'name="username"' not in page


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="lee@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_for()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "lee@example.com"})
    assert response.status_code == 302
    reset_url = link_in(mail.outbox[-1])
    form_page = client.get(reset_url, follow=True)
    action = form_page.context["action_url"]
    response = client.post(action, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_repeated_failed_logins_are_throttled():
    from allauth.account.models import EmailAddress

    user = UserFactory(email="park@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_for()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "park@example.com", "password": "wrong"})
    # Even the right password is refused while the account key is throttled.
    response = client.post(reverse("account_login"), {"login": "park@example.com", "password": "pw-Secret-123"})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_nav_offers_sign_in_or_my_claims_and_sign_out():
    anonymous = client_for().get("/").content.decode()
    assert reverse("account_login") in anonymous
    user = UserFactory()
    page = client_for(user).get("/").content.decode()
    assert reverse("compensation:claim_list") in page and reverse("account_logout") in page
