"""Compensation without a claim: the exchange's logs → a batch → four eyes → decisions → credit file."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from compensation import selectors, services
from compensation.models import (
    AffectedOrder,
    BatchLine,
    BatchState,
    Claim,
    ClaimOrigin,
    ClaimState,
    Decision,
    DelayedTransfer,
    ExchangeAccount,
    FailedLogin,
    LineOutcome,
    NoticeTerms,
    Notification,
)
from compensation.notifications import links
from compensation.notifications.outbox import render
from compensation.selectors.terms import applied_terms
from compensation.services.imports.payments import payments_import
from incidents import services as incident_services
from incidents.errors import DomainError, ErrorCode
from tests.compensation.proactive_world import LOGINS, computed, issued
from tests.factories import ComplianceFactory, UserFactory


def test_logs_report_rows_read_and_added_and_a_second_import_changes_nothing(proactive):
    assert ExchangeAccount.objects.count() == 4
    assert AffectedOrder.objects.get(order_ref="O-1").account_id == "A-1"
    assert DelayedTransfer.objects.count() == 1 and FailedLogin.objects.count() == 2
    again = services.failed_logins_import(incident=proactive.incident, actor=proactive.supervisor, csv_text=LOGINS)
    assert (again.read, again.added, again.unchanged, again.errors) == (2, 0, 2, [])


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("account_id,attempted_at\nA-1,2025-01-20 09:10\nZ-9,2025-01-20 09:10\n", 3, "Unknown exchange account"),
        ("account_id,attempted_at\nA-1,2025-01-20 09:10\nA-1,2025-01-20 09:10\n", 3, "line 2"),
        ("account_id,attempted_at\nA-1,2025-01-20 08:59\n", 2, "before the incident"),
        ("account_id,attempted_at\nA-1,2025-01-20 11:01\n", 2, "after the incident"),
        ("account_id,attempted_at\nA-1,2025-02-30 10:00\n", 2, "date and time"),
        ("account_id,when\nA-1,2025-01-20 10:00\n", 1, "Missing columns"),
    ],
)
def test_bad_login_rows_are_named_by_line_and_change_nothing(proactive, text, line, words):
    with translation.override("en"):
        result = services.failed_logins_import(incident=proactive.incident, actor=proactive.supervisor, csv_text=text)
    assert result.errors and result.errors[0][0] == line and words in result.errors[0][1], result.errors
    assert result.added == 0 and FailedLogin.objects.count() == 2


def test_recorded_rows_count_as_unchanged_beside_new_ones(proactive):
    text = LOGINS + "A-3,2025-01-20 09:30\n"
    result = services.failed_logins_import(incident=proactive.incident, actor=proactive.supervisor, csv_text=text)
    assert (result.read, result.added, result.unchanged, result.errors) == (3, 1, 2, [])
    assert FailedLogin.objects.count() == 3


def test_a_recorded_row_twice_in_the_file_is_a_duplicate(proactive):
    """On PostgreSQL one INSERT adds a clean file; a recorded row met twice never reaches it."""
    text = LOGINS + "A-2,2025-01-20 09:10\n"
    with translation.override("en"):
        result = services.failed_logins_import(incident=proactive.incident, actor=proactive.supervisor, csv_text=text)
    assert [line for line, _m in result.errors] == [4] and "line 2" in result.errors[0][1]
    assert (result.added, result.unchanged) == (0, 0) and FailedLogin.objects.count() == 2


def test_a_recorded_row_now_outside_the_incident_is_refused(proactive):
    """The incident's start was corrected after the import: the same rows again are out of its window."""
    proactive.incident.started_at += timedelta(minutes=30)  # 09:30 KST: both logins are before it
    proactive.incident.save(update_fields=["started_at"])
    with translation.override("en"):
        result = services.failed_logins_import(incident=proactive.incident, actor=proactive.supervisor, csv_text=LOGINS)
    assert [line for line, _m in result.errors] == [2, 3] and "before the incident" in result.errors[0][1]
    assert (result.added, result.unchanged) == (0, 0)


def test_a_negative_amount_or_a_completion_before_the_request_is_refused(proactive):
    text = (
        "account_id,direction,asset,amount,requested_at,completed_at\n"
        "A-2,deposit,KRW,-5,2025-01-20 09:30,2025-01-21 09:30\n"
        "A-2,deposit,KRW,5,2025-01-20 09:30,2025-01-20 09:00\n"
        "A-2,hold,KRW,5,2025-01-20 09:30,2025-01-21 09:00\n"
    )
    with translation.override("en"):
        result = services.delayed_transfers_import(
            incident=proactive.incident, actor=proactive.supervisor, csv_text=text
        )
    assert [line for line, _message in result.errors] == [2, 3, 4]
    assert "negative" in result.errors[0][1] and "direction" in result.errors[2][1]
    assert result.refused == 3 and DelayedTransfer.objects.count() == 1


def test_a_recorded_account_is_never_changed(proactive):
    with translation.override("en"):
        result = services.exchange_accounts_import(
            actor=proactive.supervisor, csv_text="account_id,email\nA-1,other@exchange.test\n"
        )
    assert [line for line, _m in result.errors] == [2] and "never changed" in result.errors[0][1]
    assert ExchangeAccount.objects.get(account_id="A-1").email == "one@exchange.test"


def test_compute_sizes_each_account_by_side_interest_and_fixed_amount(proactive):
    batch = computed(proactive)
    lines = {(line.account_id, line.policy_id): line for line in BatchLine.objects.filter(batch=batch)}
    # BUY 0.01 BTC at 100,000,000; first price after recovery 101,000,000 (not the 10:30 one) → 10,000.
    # BUY 1 ETH at 5,000,000 when it trades at 4,900,000 after recovery: no loss → 0.
    assert lines["A-1", proactive.policy.pk].amount_krw == 10_000
    assert lines["A-1", proactive.policy.pk].evidence == "O-1, O-5"
    # SELL 1 ETH at 5,000,000, executable 4,900,000 → 100,000.
    assert lines["A-2", proactive.policy.pk].amount_krw == 100_000
    # 10,000,000 KRW withheld two days at 3.5 % a year → 1,917.
    assert lines["A-1", proactive.interest.pk].amount_krw == 1_917
    assert lines["A-2", proactive.fixed.pk].amount_krw == 10_000
    assert lines["A-2", proactive.fixed.pk].evidence_rows == 2
    assert lines["A-4", proactive.policy.pk].outcome == LineOutcome.BELOW_MINIMUM
    assert batch.state == BatchState.COMPUTED and batch.total_krw == 10_000 + 100_000 + 1_917 + 10_000 + 100_000
    assert batch.events.count() == 2


def _revise_cap(world, cap, **revise):
    world.policy.cap_krw = cap
    world.policy.save()
    return incident_services.notice_revise(
        incident=world.incident, actor=ComplianceFactory(), change_summary="보상 한도 변경", **revise
    )


def _line(batch, account_id, policy):
    return BatchLine.objects.get(batch=batch, account_id=account_id, policy=policy)


def test_the_cap_limits_an_account_and_is_recorded(proactive):
    _revise_cap(proactive, 50_000, applies_to_filed_claims=True)
    batch = computed(proactive)
    line = _line(batch, "A-2", proactive.policy)
    assert (line.computed_krw, line.amount_krw, line.capped) == (100_000, 50_000, True)


def test_a_batch_applies_the_policy_version_the_notice_published_and_records_it(proactive):
    """Issue 16: batches used the policy's current row, so an edit after publication changed them."""
    published = NoticeTerms.objects.get(notice_version__incident=proactive.incident, notice_version__number=1)
    batch = computed(proactive)
    assert _line(batch, "A-2", proactive.policy).policy_version == published.policy_version
    assert batch.policies["orders"]["policy_version"] == published.policy_version_id

    # A less favourable edit (a new PolicyVersion) is not in force for the incident: recomputing keeps the terms.
    proactive.policy.cap_krw = 50_000
    proactive.policy.save()
    assert proactive.policy.versions.count() == published.policy_version.number + 1
    batch = services.batch_compute(batch=batch, actor=proactive.supervisor)
    line = _line(batch, "A-2", proactive.policy)
    assert (line.amount_krw, line.capped, line.policy_version) == (100_000, False, published.policy_version)
    assert line.notice_terms == published

    # Published by a revision that does not say it reaches earlier claims: still not in force.
    incident_services.notice_revise(incident=proactive.incident, actor=ComplianceFactory(), change_summary="한도 인하")
    batch = services.batch_compute(batch=batch, actor=proactive.supervisor)
    assert _line(batch, "A-2", proactive.policy).amount_krw == 100_000


def test_a_revision_that_reaches_filed_claims_reaches_the_batch_and_its_claims(
    proactive, django_capture_on_commit_callbacks
):
    revision = _revise_cap(proactive, 50_000, applies_to_filed_claims=True)
    in_force = NoticeTerms.objects.get(notice_version=revision, policy_version__policy=proactive.policy)
    batch = computed(proactive)
    line = _line(batch, "A-2", proactive.policy)
    assert (line.amount_krw, line.policy_version, line.notice_terms) == (50_000, in_force.policy_version, in_force)
    services.batch_approve(batch=batch, actor=proactive.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_issue(batch=batch, actor=proactive.supervisor)
    claim = Claim.objects.get(batch_line=line)
    assert (claim.policy_version, claim.notice_terms) == (in_force.policy_version, in_force)
    assert applied_terms(claim).cap_krw == 50_000


def test_a_more_favourable_published_version_reaches_the_batch(proactive):
    proactive.policy.cap_krw = 50_000
    proactive.policy.save()
    batch = computed(proactive)
    assert _line(batch, "A-2", proactive.policy).amount_krw == 100_000  # v1's cap of 5,000,000
    _revise_cap(proactive, 8_000_000)  # more favourable than what was first published
    batch = services.batch_compute(batch=batch, actor=proactive.supervisor)
    line = _line(batch, "A-2", proactive.policy)
    assert line.notice_terms.cap_krw == 8_000_000 and line.notice_terms.notice_version.number == 2


def test_the_preparer_cannot_approve_and_compliance_co_approves_above_the_limit(proactive, settings):
    settings.COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW = 100_000
    batch = computed(proactive)
    with pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=proactive.supervisor)
    assert refused.value.code == ErrorCode.FOUR_EYES
    batch = services.batch_approve(batch=batch, actor=proactive.supervisor2)
    assert batch.state == BatchState.COMPUTED and batch.approved_by == proactive.supervisor2
    batch = services.batch_approve(batch=batch, actor=proactive.compliance)
    assert batch.state == BatchState.APPROVED and batch.compliance_approved_by == proactive.compliance
    with pytest.raises(DomainError):
        services.batch_create(incident=proactive.incident, actor=proactive.supervisor)


def test_issue_creates_decided_claims_with_decisions_events_and_one_mail_each(
    proactive, django_capture_on_commit_callbacks
):
    batch = issued(proactive, django_capture_on_commit_callbacks)
    assert batch.state == BatchState.ISSUED
    claims = Claim.objects.filter(origin=ClaimOrigin.PROACTIVE)
    assert claims.count() == 5 and set(claims.values_list("state", flat=True)) == {ClaimState.DECIDED}
    claim = claims.get(exchange_account__account_id="A-2", policy=proactive.policy)
    assert claim.claimant is None and claim.number.startswith("C-2025-") and claim.objection_window_ends_on
    decision = Decision.objects.get(claim=claim)
    assert decision.amount_krw == 100_000 and decision.status == Decision.Status.IN_FORCE and decision.pay_on
    assert "O-2" in decision.reasons and decision.approved_by == proactive.supervisor2
    assert claim.events.get().to_state == ClaimState.DECIDED
    notes = Notification.objects.filter(kind="proactive_decision")
    assert notes.count() == 5 and set(notes.values_list("to_email", flat=True)) == {
        "one@exchange.test",
        "two@exchange.test",
        "three@exchange.test",
    }
    row = render(notes.get(claim=claim))
    assert "/claims/account/link/" in row.body_text and "100,000" in row.body_text
    assert len(mail.outbox) == 5
    with pytest.raises(DomainError):
        services.batch_issue(batch=batch, actor=proactive.supervisor)


def test_a_user_links_the_account_then_accepts_and_another_objects_and_the_credit_file_pays_once(
    proactive, django_capture_on_commit_callbacks
):
    issued(proactive, django_capture_on_commit_callbacks)
    one, two = UserFactory(), UserFactory()
    accounts = {a.account_id: a for a in ExchangeAccount.objects.all()}
    services.exchange_account_link(actor=one, token=links.token_for(accounts["A-1"].pk))
    services.exchange_account_link(actor=two, token=links.token_for(accounts["A-2"].pk))
    mine = list(Claim.objects.filter(claimant=one).order_by("pk"))
    assert len(mine) == 2
    for claim in mine:
        services.claim_accept(claim=claim, actor=one)
    theirs = Claim.objects.get(claimant=two, policy=proactive.policy)
    services.claim_object(claim=theirs, actor=two, reason="The price I could trade at was lower.")
    with pytest.raises(DomainError):
        services.exchange_account_link(actor=two, token=links.token_for(accounts["A-1"].pk))

    rows = [row for row in selectors.credit_file_rows()]
    numbers = {row[0] for row in rows}
    assert numbers == {claim.number for claim in mine}
    credit = "claim_number,account_id,amount_krw,method,payout_to,reference,paid_at\n" + "".join(
        f"{number},{account},{decided},wallet_credit,{account},CREDIT-{number}-{decision},\n"
        for number, account, decided, _paid, _kind, _details, decision in rows
    )
    result = payments_import(actor=proactive.supervisor, csv_text=credit)
    assert result.errors == [] and result.applied == 2
    assert set(Claim.objects.filter(claimant=one).values_list("state", flat=True)) == {ClaimState.PAID}
    assert payments_import(actor=proactive.supervisor, csv_text=credit).errors  # never twice
    assert list(selectors.credit_file_rows()) == []


def test_an_account_whose_user_filed_a_claim_is_merged_and_paid_once(proactive, django_capture_on_commit_callbacks):
    filer = UserFactory()
    account = ExchangeAccount.objects.get(account_id="A-3")
    services.exchange_account_link_by_staff(
        account=account, user=filer, actor=proactive.supervisor, identity_check="Phone call, ID questions"
    )
    filed = proactive.submit(actor=filer)
    batch = issued(proactive, django_capture_on_commit_callbacks)
    line = BatchLine.objects.get(batch=batch, account_id="A-3")
    assert line.outcome == LineOutcome.FILED_CLAIM and line.filed_claim == filed and line.claim is None
    assert not Claim.objects.filter(exchange_account=account, origin=ClaimOrigin.PROACTIVE).exists()
    assert [m.filed_claim_id for m in selectors.batch_merged(batch)] == [filed.pk]
    # The filed claim carries the proactive amount as the floor of its decision: the larger one is paid.
    services.claim_start_review(claim=filed, actor=proactive.agent)
    with pytest.raises(DomainError):
        services.claim_decide(claim=filed, actor=proactive.agent, approved=True, amount_krw=50_000, reasons="r")
    decision = services.claim_decide(claim=filed, actor=proactive.agent, approved=True, amount_krw=100_000, reasons="r")
    assert decision.amount_krw == 100_000


def test_delivered_proactive_decision_mails_start_the_objection_window(proactive, django_capture_on_commit_callbacks):
    """Issue 12: deemed acceptance counts from the day the decision reached the user; these mails count too."""
    issued(proactive, django_capture_on_commit_callbacks)
    decisions = Decision.objects.filter(claim__origin=ClaimOrigin.PROACTIVE)
    assert decisions.count() == 5 and not decisions.filter(mail_sent_at__isnull=True).exists()
