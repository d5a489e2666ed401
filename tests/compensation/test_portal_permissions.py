"""Nobody sees or changes another user's claim or document: 404, never 403; anonymous users sign in first."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from compensation.models import ClaimState
from tests.compensation.factories import png_upload
from tests.compensation.portal import claim_form, client_for, new_claim_url
from tests.factories import AgentFactory, ComplianceFactory, SupervisorFactory, UserFactory


def urls(claim, document):
    return {
        "detail": ("get", reverse("compensation:claim_detail", args=[claim.pk])),
        "download": ("get", reverse("compensation:document_download", args=[claim.pk, document.pk])),
        "supplement": ("post", reverse("compensation:claim_supplement", args=[claim.pk])),
        "withdraw": ("post", reverse("compensation:claim_withdraw", args=[claim.pk])),
        "accept": ("post", reverse("compensation:claim_accept", args=[claim.pk])),
        "object": ("post", reverse("compensation:claim_object", args=[claim.pk])),
    }


ACTION_DATA = {
    "supplement": lambda: {"files": [png_upload()], "note": "x"},
    "withdraw": lambda: {"confirm": "on", "reason": "x"},
    "accept": lambda: {"confirm": "on"},
    "object": lambda: {"reason": "금액이 적습니다"},
}


@pytest.fixture
def decided(world):
    claim = world.claim_in(ClaimState.DECIDED)
    return claim, claim.documents.get()


@pytest.mark.parametrize("name", ["detail", "download", "supplement", "withdraw", "accept", "object"])
def test_another_users_claim_is_404_and_unchanged(world, decided, name):
    claim, document = decided
    method, url = urls(claim, document)[name]
    client = client_for(world.other_user)
    data = ACTION_DATA.get(name, dict)()
    response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.state == ClaimState.DECIDED
    assert claim.objections.count() == 0 and claim.documents.count() == 1


@pytest.mark.parametrize("name", ["detail", "download", "supplement", "withdraw", "accept", "object"])
def test_anonymous_users_are_sent_to_sign_in(world, decided, name):
    claim, document = decided
    method, url = urls(claim, document)[name]
    response = getattr(client_for(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_anonymous_list_and_form_redirect_to_sign_in(world):
    client = client_for()
    for url in (reverse("compensation:claim_list"), new_claim_url(world.incident)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_document_of_another_claim_is_404_even_for_its_owner(world):
    mine = world.submit()
    theirs = world.submit(actor=world.other_user)
    url = reverse("compensation:document_download", args=[mine.pk, theirs.documents.get().pk])
    assert client_for(world.claimant).get(url).status_code == 404
    assert client_for(world.other_user).get(url).status_code == 404


def test_the_list_shows_only_my_claims(world):
    mine = world.submit()
    theirs = world.submit(actor=world.other_user)
    text = client_for(world.claimant).get(reverse("compensation:claim_list")).content.decode()
    assert mine.number in text and theirs.number not in text


def test_the_claimant_downloads_their_document_as_an_attachment(world):
    claim = world.submit()
    document = claim.documents.get()
    response = client_for(world.claimant).get(reverse("compensation:document_download", args=[claim.pk, document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("factory", [AgentFactory, SupervisorFactory, ComplianceFactory])
def test_staff_with_a_role_can_download(world, factory):
    claim = world.submit()
    url = reverse("compensation:document_download", args=[claim.pk, claim.documents.get().pk])
    response = client_for(factory()).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_superuser_can_download(world):
    claim = world.submit()
    url = reverse("compensation:document_download", args=[claim.pk, claim.documents.get().pk])
    admin = UserFactory(is_staff=True, is_superuser=True)
    response = client_for(admin).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_staff_flag_without_a_role_or_a_role_without_staff_flag_is_not_enough(world):
    claim = world.submit()
    url = reverse("compensation:document_download", args=[claim.pk, claim.documents.get().pk])
    bare_staff = UserFactory(is_staff=True)
    assert client_for(bare_staff).get(url).status_code == 404
    role_only = UserFactory()
    role_only.groups.add(Group.objects.get_or_create(name="agent")[0])
    assert client_for(role_only).get(url).status_code == 404


def test_staff_cannot_see_claim_pages_of_claimants(world):
    # The portal is the claimant's view; staff work cases in the admin.
    claim = world.submit()
    assert client_for(world.agent).get(reverse("compensation:claim_detail", args=[claim.pk])).status_code == 404


def test_every_form_carries_a_csrf_token(world):
    claim = world.claim_in(ClaimState.DECIDED)
    client = client_for(world.claimant)
    for url in (new_claim_url(world.incident), reverse("compensation:claim_detail", args=[claim.pk])):
        text = client.get(url).content.decode()
        assert text.count("<form") == text.count('name="csrfmiddlewaretoken"')


def test_posts_without_csrf_token_are_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.claimant)
    response = client.post(new_claim_url(world.incident, world.policy), claim_form(world.policy))
    assert response.status_code == 403
