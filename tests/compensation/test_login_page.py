"""One login form for claimants and staff: nothing on it leads back to itself, and staff go on to the workspace."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.compensation.portal import client_for
from tests.factories import AgentFactory, UserFactory

PASSWORD = "pw-Secret-123"  # UserFactory's


def verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.django_db
def test_no_link_on_the_login_page_leads_back_to_the_login_page():
    login = reverse("account_login")
    client = client_for()
    page = client.get(login).content.decode()
    links = {href for href in re.findall(r'href="(/[^"#]*)"', page) if not href.startswith(("/static/", login))}
    # The old "Staff sign in at the workspace" link: /admin/ → /admin/login/ → this very page.
    assert reverse("admin:index") not in links
    assert links, "the page links to sign-up, password reset and the notices"
    for href in links:
        final = client.get(href, follow=True)
        assert final.status_code == 200 and final.request["PATH_INFO"] != login, f"{href} loops back to the login"


@pytest.mark.django_db
def test_staff_signing_in_go_on_to_the_workspace():
    agent = verified(AgentFactory(email="agent@example.com", username="agent@example.com"))
    response = client_for().post(reverse("account_login"), {"login": agent.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_claimants_go_to_their_claims_and_a_next_still_wins():
    claimant = verified(UserFactory(email="kim@example.com", username="kim@example.com"))
    response = client_for().post(reverse("account_login"), {"login": claimant.email, "password": PASSWORD})
    assert response["Location"] == reverse("compensation:claim_list")
    agent = verified(AgentFactory(email="agent@example.com", username="agent@example.com"))
    response = client_for().post(
        f"{reverse('account_login')}?next=/claims/", {"login": agent.email, "password": PASSWORD}
    )
    assert response["Location"] == "/claims/"
