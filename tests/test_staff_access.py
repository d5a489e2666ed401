"""Staff accounts: the admin login is the throttled allauth one, a TOTP second factor guards the admin."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import AgentFactory, ComplianceFactory, SupervisorFactory

PASSWORD = "pw-Secret-123"


@pytest.fixture(autouse=True)
def _clean_rate_limits():
    cache.clear()


def staff():
    user = AgentFactory(email="agent.kim@example.com", username="agent.kim@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.django_db
def test_admin_login_brute_force_is_throttled_like_the_portal():
    user = staff()
    client = Client(headers={"accept-language": "en"})
    for _ in range(30):
        client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "wrong"})
    client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_page_is_the_allauth_login():
    response = Client().get("/admin/login/?next=/admin/compensation/claim/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=%2Fadmin%2Fcompensation%2Fclaim%2F" in response["Location"]
    evil = Client().get("/admin/login/?next=//evil.example/")
    assert "evil.example" not in evil["Location"]


@pytest.mark.django_db
def test_staff_without_totp_are_sent_to_set_it_up(settings):
    settings.ADMIN_REQUIRE_MFA = True
    client = Client()
    client.force_login(staff())
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_staff_with_totp_must_have_signed_in_with_it(settings):
    settings.ADMIN_REQUIRE_MFA = True
    user = staff()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.force_login(user)  # a session without the second factor
    response = client.get("/admin/compensation/claim/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp", "at": 0}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    assert client.get("/admin/").status_code == 200


def test_production_always_requires_the_second_factor():
    import ast
    from pathlib import Path

    source = Path("config/settings/production.py").read_text()
    assigned = [
        node.value.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ADMIN_REQUIRE_MFA" for t in node.targets)
    ]
    assert assigned == [True]


@pytest.mark.django_db
def test_signup_username_is_the_email():
    from django.contrib.auth import get_user_model

    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": "Newbie.Kim@Example.com", "password1": "Kimchi-Outage-2025!", "password2": "Kimchi-Outage-2025!"},
    )
    user = get_user_model().objects.get(email__iexact="newbie.kim@example.com")
    assert user.username == "newbie.kim@example.com"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["admin:compensation_coveragesnapshot_changelist", "admin:compensation_controlreview_changelist"]
)
def test_oversight_pages_are_for_compliance_and_supervisors_only(page):
    for factory in (SupervisorFactory, ComplianceFactory):
        client = Client()
        client.force_login(factory())
        assert client.get(reverse(page)).status_code == 200, factory
    client = Client()
    client.force_login(AgentFactory())
    refused = client.get(reverse(page))
    assert (refused.status_code, refused.get("Location")) == (302, "/admin/")  # sent back to the admin home
