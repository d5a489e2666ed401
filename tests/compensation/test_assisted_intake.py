"""Staff-assisted intake: staff record a caller's claim, the user confirms it by the mailed link or asks
for a correction, staff correct it; the decision waits for the confirmation."""

import re
import uuid

import pytest
import time_machine
from django.core import signing
from django.utils import translation

from compensation import selectors, services
from compensation.models import (
    AssistedIntake,
    Claim,
    ClaimEvent,
    ClaimOrigin,
    ClaimState,
    Confirmation,
    ExchangeAccount,
    Notification,
)
from compensation.notifications import links
from compensation.notifications.outbox import render
from incidents.errors import DomainError, ErrorCode
from tests.compensation.conftest import kst
from tests.compensation.factories import png_upload, record_assisted
from tests.factories import ComplianceFactory, UserFactory


def record(world, **overrides):
    return record_assisted(world, **overrides)


def confirmation_mail(claim, revision=1):
    row = Notification.objects.get(
        claim=claim, kind=Notification.Kind.ASSISTED_CONFIRMATION, key__endswith=f":{revision}"
    )
    return render(row)


def token_from(row):
    return re.search(r"/claims/confirm/([^/\s]+)/", row.body_text).group(1)


def test_recording_a_call_files_a_claim_held_for_the_address_with_its_clock_from_the_call(world):
    claim = record(world)
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.origin == ClaimOrigin.ASSISTED and claim.state == ClaimState.SUBMITTED
    assert claim.claimant is None and claim.contact_email == "caller@example.com"
    assert claim.number.startswith("C-2025-")
    # The call is the application: the statutory date counts from it (15 영업일 after 2025-01-22).
    assert claim.statutory_due_on == claim.review_due_on
    assert claim.filed_at == kst(2025, 1, 22, 10)
    assert claim.missing_documents == [{"id": world.requirement.pk, "name": world.requirement.name}]
    intake = claim.assisted_intake
    assert (intake.channel, intake.identity_method, intake.recorded_by) == ("phone", "callback", world.agent)
    assert intake.confirmation == Confirmation.AWAITING
    [event] = claim.events.all()
    assert (event.from_state, event.to_state, event.actor) == ("", ClaimState.SUBMITTED, world.agent)
    assert event.data["channel"] == "phone" and event.data["identity_method"] == "callback"
    # One mail, Korean then English, with the signed link on its own line.
    [row] = Notification.objects.filter(claim=claim)
    assert row.kind == Notification.Kind.ASSISTED_CONFIRMATION and row.to_email == "caller@example.com"
    row = render(row)
    assert row.body_text.index("상담원") < row.body_text.index("A member of our staff")
    link_lines = [line for line in row.body_text.splitlines() if "/claims/confirm/" in line]
    assert len(link_lines) == 2 and all(line.startswith("http") and " " not in line for line in link_lines)
    assert "/claims/confirm/" in row.body_html and "250,000" in row.body_html


def test_a_call_from_an_existing_portal_user_or_linked_account_is_their_claim_at_once(world):
    by_email = record(world, email=world.claimant.email.upper())
    assert by_email.claimant == world.claimant
    account = ExchangeAccount.objects.create(
        account_id="ACC-7", email="held@exchange.test", user=world.other_user, imported_by=world.supervisor
    )
    by_account = record(world, email="", account_id="ACC-7")
    assert by_account.claimant == world.other_user and by_account.exchange_account == account
    assert Notification.objects.get(claim=by_account).to_email == world.other_user.email


def test_an_account_without_a_portal_user_holds_the_claim_for_the_exchanges_address(world):
    ExchangeAccount.objects.create(account_id="ACC-8", email="held@exchange.test", imported_by=world.supervisor)
    claim = record(world, email="typed@example.com", account_id="ACC-8")
    assert claim.claimant is None and claim.assisted_intake.email == "held@exchange.test"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "", "account_id": ""}, "email address or exchange account"),
        ({"email": "", "account_id": "NOPE-1"}, "NOPE-1"),
        ({"channel": "fax"}, "how the claim came in"),
        ({"identity_method": "other", "identity_note": " "}, "Describe how"),
        ({"amount_claimed_krw": -1}, "0 or more"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, overrides, message):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        record(world, **overrides)
    assert message in refused.value.message
    assert not Claim.objects.exists() and not Notification.objects.exists()


def test_only_agents_and_supervisors_record_and_a_retry_records_once(world):
    with pytest.raises(DomainError) as refused:
        record(world, actor=ComplianceFactory())
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError):
        record(world, actor=world.claimant)
    key = uuid.uuid4()
    first = record(world, actor=world.supervisor, idempotency_key=key)
    assert record(world, actor=world.supervisor, idempotency_key=key) == first
    with pytest.raises(DomainError) as duplicate:
        record(world)  # the same address, incident and damage type
    assert duplicate.value.code == ErrorCode.DUPLICATE
    assert Claim.objects.count() == 1


def test_closed_intake_is_refused(world, at):
    at(2025, 3, 5, 10)
    with pytest.raises(DomainError) as refused:
        record(world)
    assert refused.value.code == ErrorCode.INTAKE_CLOSED


def test_the_user_signs_up_with_the_address_opens_the_link_and_confirms_once(world):
    claim = record(world)
    token = token_from(confirmation_mail(claim))
    user = UserFactory(email="caller@example.com")
    shown, _intake = selectors.assisted_claim_for_link(user, token)
    assert shown.pk == claim.pk
    services.assisted_claim_confirm(actor=user, token=token)
    services.assisted_claim_confirm(actor=user, token=token)  # a second click changes nothing
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.claimant == user
    assert claim.assisted_intake.confirmation == Confirmation.CONFIRMED
    [event] = claim.events.filter(kind=ClaimEvent.Kind.CONFIRMATION)
    assert event.actor == user and event.data["taken_by_user"] is True
    assert list(selectors.my_claims(user)) == [claim]


def test_the_decision_waits_for_the_confirmation(world):
    claim = record(world, email=world.claimant.email)
    services.claim_start_review(claim=claim, actor=world.agent)  # asks for the documents not yet given
    services.claim_add_supplement(claim=claim, actor=world.claimant, files=[(world.requirement, png_upload())])
    decide = dict(claim=claim, actor=world.agent, approved=True, amount_krw=10_000, reasons="차액 보상")
    with pytest.raises(DomainError) as refused:
        services.claim_decide(**decide)
    assert refused.value.code == ErrorCode.PENDING
    services.assisted_claim_confirm(actor=world.claimant, claim=claim)
    services.claim_decide(**decide)
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED
    # After the decision the content can no longer be disputed here.
    with pytest.raises(DomainError) as late:
        services.assisted_claim_request_correction(actor=world.claimant, claim=claim, text="금액이 다릅니다")
    assert late.value.code == ErrorCode.INVALID_TRANSITION


def test_a_correction_request_alerts_the_assigned_staff_and_staff_correct_and_mail_it_again(world):
    claim = record(world)
    services.claim_assign(claims=[claim], actor=world.supervisor, assignee=world.agent2)
    user = UserFactory(email="caller@example.com")
    token = token_from(confirmation_mail(claim))
    services.assisted_claim_request_correction(actor=user, token=token, text="금액은 300,000원입니다.")
    intake = AssistedIntake.objects.get(claim=claim)
    assert intake.confirmation == Confirmation.CORRECTION_REQUESTED
    [alert] = Notification.objects.filter(claim=claim, kind=Notification.Kind.ASSISTED_CORRECTION)
    assert alert.recipient == world.agent2
    assert "300,000" in render(alert).body_text
    event = ClaimEvent.objects.get(claim=claim, kind=ClaimEvent.Kind.CONFIRMATION)
    assert event.reason == "금액은 300,000원입니다." and event.actor == user

    with pytest.raises(DomainError):
        services.assisted_claim_correct(claim=claim, actor=world.agent, note="", amount_claimed_krw=300_000)
    with pytest.raises(DomainError) as forbidden:
        services.assisted_claim_correct(claim=claim, actor=user, note="x", amount_claimed_krw=300_000)
    assert forbidden.value.code == ErrorCode.FORBIDDEN
    services.assisted_claim_correct(
        claim=claim, actor=world.agent2, note="통화 재확인: 금액 정정", amount_claimed_krw=300_000
    )
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.amount_claimed_krw == 300_000
    assert claim.assisted_intake.confirmation == Confirmation.AWAITING and claim.assisted_intake.revision == 2
    mail = confirmation_mail(claim, revision=2)
    assert "300,000" in mail.body_text and mail.to_email == "caller@example.com"
    services.assisted_claim_confirm(actor=user, token=token_from(mail))
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.CONFIRMED


def test_another_users_link_is_not_theirs(world):
    held = record(world)
    token = token_from(confirmation_mail(held))
    stranger = UserFactory(email="someone.else@example.com")
    with pytest.raises(DomainError) as refused:
        services.assisted_claim_confirm(actor=stranger, token=token)
    assert refused.value.code == ErrorCode.FORBIDDEN
    owned = record(world, email=world.claimant.email)
    with pytest.raises(DomainError) as not_found:
        services.assisted_claim_confirm(actor=world.other_user, token=links.confirmation_token_for(owned.pk))
    assert not_found.value.code == ErrorCode.NOT_FOUND
    assert not AssistedIntake.objects.filter(confirmation=Confirmation.CONFIRMED).exists()
    assert Claim.objects.get(pk=held.pk).claimant is None


def test_a_tampered_or_expired_link_is_refused_clearly(world):
    claim = record(world)
    token = token_from(confirmation_mail(claim))
    user = UserFactory(email="caller@example.com")
    with pytest.raises(DomainError) as tampered:
        services.assisted_claim_confirm(actor=user, token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert tampered.value.code == ErrorCode.NOT_FOUND
    # A link of another kind (the exchange-account link) does not open a claim either.
    with pytest.raises(DomainError):
        services.assisted_claim_confirm(actor=user, token=links.token_for(claim.pk))
    with time_machine.travel(kst(2025, 3, 30, 10), tick=False), translation.override("en"):
        with pytest.raises(DomainError) as expired:
            services.assisted_claim_confirm(actor=user, token=token)
    assert expired.value.code == ErrorCode.DEADLINE_PASSED and "expired" in expired.value.message
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.AWAITING


def test_a_filed_claim_is_not_confirmed_through_this(world):
    claim = world.submit()
    with pytest.raises(DomainError) as refused:
        services.assisted_claim_confirm(actor=world.claimant, claim=claim)
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    with pytest.raises(DomainError):
        services.assisted_claim_confirm(actor=world.claimant, token=links.confirmation_token_for(claim.pk))
    with pytest.raises(signing.BadSignature):
        links.claim_pk_from_confirmation("junk")


def test_staff_mail_a_fresh_link_when_the_first_expired_until_the_user_confirms(world, at):
    claim = record(world)
    old_token = token_from(confirmation_mail(claim))
    user = UserFactory(email="caller@example.com")
    at(2025, 3, 5, 10)  # the first link is older than 30 days now
    with pytest.raises(DomainError):
        services.assisted_claim_confirm(actor=user, token=old_token)
    with pytest.raises(DomainError) as forbidden:
        services.assisted_claim_resend_link(claim=claim, actor=ComplianceFactory())
    assert forbidden.value.code == ErrorCode.FORBIDDEN
    services.assisted_claim_resend_link(claim=claim, actor=world.agent, reason="고객 전화: 링크 만료")
    rows = Notification.objects.filter(claim=claim, kind=Notification.Kind.ASSISTED_CONFIRMATION).order_by("pk")
    assert rows.count() == 2 and rows[1].to_email == "caller@example.com"
    services.assisted_claim_confirm(actor=user, token=token_from(render(rows[1])))
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.CONFIRMED
    with pytest.raises(DomainError) as done:
        services.assisted_claim_resend_link(claim=claim, actor=world.agent)
    assert done.value.code == ErrorCode.NOT_ALLOWED
    assert list(claim.events.filter(kind=ClaimEvent.Kind.CONFIRMATION).values_list("actor", flat=True)) == [
        world.agent.pk,
        user.pk,
    ]
