"""The portal side of staff-assisted intake: the mailed link, confirm, ask for a correction, "My claims"."""

from urllib.parse import unquote

import pytest
from django.urls import reverse

from compensation.models import AssistedIntake, Claim, Confirmation, Notification
from compensation.notifications import links
from tests.compensation.factories import record_assisted
from tests.factories import UserFactory


@pytest.fixture
def recorded(world):
    def _record(email="caller@example.com"):
        return record_assisted(world, email=email, description="전화 접수 내용")

    return _record


def link(claim):
    return links.confirmation_link_path(claim.pk)


def test_the_link_asks_to_sign_in_first(recorded, client):
    claim = recorded()
    response = client.get(link(claim))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert link(claim) in unquote(response["Location"])


def test_the_holder_sees_the_content_and_confirms(recorded, client):
    claim = recorded()
    user = UserFactory(email="caller@example.com")
    client.force_login(user)
    page = client.get(link(claim))
    text = page.content.decode()
    assert page.status_code == 200 and "전화 접수 내용" in text and "250,000" in text
    assert 'id="confirm-form"' in text and 'id="correction-form"' in text
    response = client.post(link(claim), {"action": "confirm"})
    assert response.status_code == 302 and response["Location"] == reverse("compensation:claim_detail", args=[claim.pk])
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.CONFIRMED
    assert client.post(link(claim), {"action": "confirm"}).status_code == 302  # twice is once
    detail = client.get(response["Location"]).content.decode()
    assert 'id="awaiting-confirmation"' not in detail


def test_a_correction_request_needs_text_and_keeps_it(recorded, client):
    claim = recorded()
    client.force_login(UserFactory(email="caller@example.com"))
    empty = client.post(link(claim), {"action": "correct", "text": " "})
    assert empty.status_code == 400 and empty.context["correction_form"].errors
    response = client.post(link(claim), {"action": "correct", "text": "금액은 300,000원입니다."})
    assert response.status_code == 302
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.CORRECTION_REQUESTED
    assert Notification.objects.filter(claim=claim, kind=Notification.Kind.ASSISTED_CORRECTION).exists()


def test_my_claims_shows_a_recorded_claim_awaiting_confirmation(world, recorded, client):
    claim = recorded(email=world.claimant.email)
    client.force_login(world.claimant)
    listing = client.get(reverse("compensation:claim_list")).content.decode()
    assert claim.number in listing and "awaiting-confirmation" in listing
    detail = client.get(reverse("compensation:claim_detail", args=[claim.pk])).content.decode()
    assert 'id="awaiting-confirmation"' in detail and "/claims/confirm/" in detail


@pytest.mark.parametrize("token", ["junk", "x" * 300, "eyJjIjoxfQ:1tXyz:abc"])
def test_a_bad_link_is_a_clear_refusal_not_a_500(recorded, client, token):
    recorded()
    client.force_login(UserFactory(email="caller@example.com"))
    response = client.get(reverse("compensation:assisted_confirm", args=[token]))
    assert response.status_code == 404 and "confirm-refusal" in response.content.decode()
    assert client.post(reverse("compensation:assisted_confirm", args=[token]), {"action": "confirm"}).status_code == 404
    assert not AssistedIntake.objects.filter(confirmation=Confirmation.CONFIRMED).exists()


def test_someone_elses_link_is_refused(world, recorded, client):
    held = recorded()
    owned = recorded(email=world.claimant.email)
    client.force_login(world.other_user)
    assert client.get(link(held)).status_code == 403
    assert client.get(link(owned)).status_code == 404
    assert client.post(link(owned), {"action": "confirm"}).status_code == 404
    assert Claim.objects.get(pk=held.pk).claimant is None
    assert not AssistedIntake.objects.filter(confirmation=Confirmation.CONFIRMED).exists()
