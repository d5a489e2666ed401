"""The admin's "Record a claim for a caller / 전화·방문 접수" page and the case page's correction button."""

import uuid

import pytest
from django.urls import reverse

from compensation import services
from compensation.admin import case_actions
from compensation.models import AssistedIntake, Claim, ClaimOrigin, Confirmation, Notification
from tests.compensation.factories import PolicyFactory, record_assisted
from tests.factories import ComplianceFactory

URL = reverse("admin:compensation_claim_assisted")


def page(world):
    return f"{URL}?incident={world.incident.pk}&policy={world.policy.pk}"


def form_data(**overrides):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "email": "caller@example.com",
        "account_id": "",
        "channel": "phone",
        "identity_method": "id_card",
        "identity_note": "",
        "amount_claimed_krw": "250000",
        "asset": "btc",
        "side": "buy",
        "quantity": "0.01",
        "intended_price_krw": "100000000",
        "intended_at": "",
        "description": "매수 주문 미체결 (전화 접수)",
        "payout_method": "bank",
        "payout_account": "국민은행 123-456-789",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_agents_and_supervisors_record_a_call_and_land_on_the_case_page(world, client, who):
    client.force_login(getattr(world, who))
    listing = client.get(reverse("admin:compensation_claim_changelist") + "?queue=all")
    assert URL in listing.content.decode()
    chooser = client.get(URL)
    assert chooser.status_code == 200 and "assisted-choose" in chooser.content.decode()
    assert 'name="channel"' in client.get(page(world)).content.decode()
    response = client.post(page(world), form_data())
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{claim.pk}/change/")
    assert claim.origin == ClaimOrigin.ASSISTED and claim.asset == "BTC"
    assert claim.assisted_intake.recorded_by == getattr(world, who)
    assert Notification.objects.get(claim=claim).kind == Notification.Kind.ASSISTED_CONFIRMATION
    case = client.get(reverse("admin:compensation_claim_change", args=[claim.pk])).content.decode()
    assert 'id="case-assisted"' in case and 'id="assisted-confirmation"' in case


def test_compliance_and_claimants_may_not_record(world, client):
    client.force_login(ComplianceFactory())
    assert client.get(URL).status_code == 403
    assert client.post(page(world), form_data()).status_code == 403
    client.force_login(world.claimant)
    assert client.get(URL).status_code in (302, 403)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount_claimed_krw": "-5"}, "amount_claimed_krw"),
        ({"amount_claimed_krw": "9" * 40}, "amount_claimed_krw"),
        ({"quantity": "1e999"}, "quantity"),
        ({"email": "not an address"}, "email"),
        ({"channel": "fax"}, "channel"),
        ({"description": ""}, "description"),
        ({"intended_at": "2025-99-99T99:99"}, "intended_at"),
        ({"email": "", "account_id": ""}, None),
    ],
)
def test_bad_input_gets_clear_errors_and_keeps_what_was_typed(world, client, overrides, field):
    client.force_login(world.agent)
    response = client.post(page(world), form_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert (field in form.errors) if field else form.non_field_errors()
    assert "국민은행 123-456-789" in response.content.decode()  # what was typed stays
    assert not Claim.objects.exists()


def test_a_refusal_by_the_service_is_shown_on_the_form(world, client):
    client.force_login(world.agent)
    response = client.post(page(world), form_data(email="", account_id="NO-SUCH-ACCOUNT"))
    assert response.status_code == 400
    assert "NO-SUCH-ACCOUNT" in " ".join(response.context["form"].non_field_errors())
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "query", ["?incident=abc&policy=1", "?incident=999999999999&policy=1", "?incident=-1", "?policy=" + "9" * 30]
)
def test_junk_choices_show_the_chooser_with_errors_not_a_500(world, client, query):
    client.force_login(world.agent)
    response = client.get(URL + query)
    assert response.status_code == 200 and response.context["form"] is None
    assert response.context["choose"].errors


def test_a_damage_type_of_another_incident_type_is_refused(world, client):
    other = PolicyFactory(incident_type="hacking")
    client.force_login(world.agent)
    response = client.get(f"{URL}?incident={world.incident.pk}&policy={other.pk}")
    assert response.context["form"] is None and response.context["choose"].non_field_errors()


def test_the_correction_button_is_on_recorded_claims_only_and_mails_again(world, client):
    recorded = record_assisted(world, channel="visit", identity_method="id_card", description="방문 접수")
    filed = world.submit()
    names = {str(a.name) for a in case_actions.available_actions(recorded, world.agent)}
    assert "correct_content" in names
    assert "correct_content" not in {str(a.name) for a in case_actions.available_actions(filed, world.agent)}
    client.force_login(world.agent)
    url = reverse("admin:compensation_claim_action", args=[recorded.pk, "correct_content"])
    assert 'value="250000"' in client.get(url).content.decode()
    bad = client.post(url, {"amount_claimed_krw": "x", "description": "방문 접수", "note": ""})
    assert bad.status_code == 200 and bad.context["form"].errors
    ok = client.post(
        url,
        {
            "amount_claimed_krw": "300000",
            "description": "방문 접수",
            "payout_method": "bank",
            "payout_account": "국민은행 1",
            "note": "고객 요청으로 금액 정정",
        },
    )
    assert ok.status_code == 302
    intake = AssistedIntake.objects.get(claim=recorded)
    assert intake.revision == 2 and intake.confirmation == Confirmation.AWAITING
    assert Claim.objects.get(pk=recorded.pk).amount_claimed_krw == 300_000
    assert Notification.objects.filter(claim=recorded, kind=Notification.Kind.ASSISTED_CONFIRMATION).count() == 2


def test_the_queue_filters_recorded_claims_by_confirmation_and_the_link_can_be_mailed_again(world, client):
    recorded = record_assisted(world, email=world.claimant.email, amount_claimed_krw=1_000)
    filed = world.submit(actor=world.other_user)
    client.force_login(world.agent)
    listing = reverse("admin:compensation_claim_changelist")
    awaiting = client.get(listing + "?queue=all&confirmation=awaiting").context["cl"].result_list
    assert [claim.pk for claim in awaiting] == [recorded.pk]
    everything = client.get(listing + "?queue=all").context["cl"].result_list
    assert {claim.pk for claim in everything} == {recorded.pk, filed.pk}
    assert client.get(listing + "?queue=all&confirmation=junk").status_code in (200, 302)

    resend = reverse("admin:compensation_claim_action", args=[recorded.pk, "resend_confirmation"])
    assert client.post(resend, {"reason": "링크 재발송 요청"}).status_code == 302
    assert Notification.objects.filter(claim=recorded, kind=Notification.Kind.ASSISTED_CONFIRMATION).count() == 2
    services.assisted_claim_confirm(actor=world.claimant, claim=recorded)
    names = {str(a.name) for a in case_actions.available_actions(Claim.objects.get(pk=recorded.pk), world.agent)}
    assert "resend_confirmation" not in names and "correct_content" in names
