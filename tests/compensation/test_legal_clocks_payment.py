"""Issue 12, case 4: one payment date — the decision's 지급예정일 — and it is bounded.

The claim is filed and taken into review Wed 2025-01-22; decided Mon 2025-02-17 with 지급예정일
2025-03-10 (20 영업일 after 2/17 is 2025-03-18); accepted 2025-02-20.
"""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from compensation import services
from compensation.models import Claim, ClaimEvent, ClaimState, Notification
from compensation.notifications import staff_alerts as alerts
from compensation.selectors import overdue_q
from incidents.errors import DomainError


def _decide(world, claim, **kwargs):
    values = {"approved": True, "amount_krw": 200_000, "reasons": "차액", "actor": world.agent, **kwargs}
    return services.claim_decide(claim=claim, **values)


@pytest.fixture
def accepted(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 17, 10)
    _decide(world, claim, pay_on=date(2025, 3, 10))
    at(2025, 2, 20, 10)
    services.claim_accept(claim=claim, actor=world.claimant)
    return world.reload(claim)


def test_the_decisions_pay_date_is_the_payment_deadline_everywhere(world, at, accepted, client):
    claim = accepted
    assert claim.payment_due_on == date(2025, 3, 10)

    at(2025, 3, 11, 10)
    assert Claim.objects.filter(overdue_q(), pk=claim.pk).exists()
    alerts.sweep()
    due_dates = set(
        Notification.objects.filter(kind="deadline_alert", claim=claim).values_list("context__due_on", flat=True)
    )
    assert due_dates == {"2025-03-10"}
    alerts.digest()
    digest = Notification.objects.filter(kind="daily_digest").first()
    assert [item["due_on"] for item in digest.context["overdue"] if item["claim_id"] == claim.pk] == ["2025-03-10"]

    client.force_login(world.supervisor)
    body = b"".join(client.get(reverse("admin:compensation_unpaid_csv")).streaming_content).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["pay_on"] == "2025-03-10" and row["overdue"] == "yes"

    client.force_login(world.claimant)
    page = client.get(reverse("compensation:claim_detail", args=[claim.pk])).content.decode()
    assert "2025-03-10" in page and "2025-03-20" not in page


def test_a_pay_date_beyond_the_payment_business_days_needs_a_supervisor_and_a_reason(world, at):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    with pytest.raises(DomainError) as refused:
        _decide(world, claim, pay_on=date(2027, 12, 31))
    assert refused.value.code == "pay_date"
    with pytest.raises(DomainError):
        _decide(world, claim, pay_on=date(2025, 2, 26), actor=world.supervisor)  # 21 영업일 after 2025-01-22
    decision = _decide(world, claim, pay_on=date(2025, 2, 25), actor=world.supervisor)  # the 20th: allowed
    assert decision.pay_on == date(2025, 2, 25)


def test_a_supervisor_may_set_a_later_pay_date_with_a_reason(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    decision = _decide(world, claim, pay_on=date(2025, 4, 30), actor=world.supervisor, pay_on_reason="해외 송금 절차")
    assert decision.pay_on == date(2025, 4, 30) and decision.pay_on_reason == "해외 송금 절차"


def test_a_pay_date_that_cannot_be_kept_is_replanned_recorded_and_mailed(world, at, django_capture_on_commit_callbacks):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 17, 10)
    decision = _decide(world, claim, pay_on=date(2025, 2, 19))  # two 영업일 after the decision
    at(2025, 2, 24, 10)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_accept(claim=claim, actor=world.claimant)
    claim = world.reload(claim)
    decision.refresh_from_db()
    assert decision.pay_on == date(2025, 2, 26) == claim.payment_due_on  # two 영업일 after acceptance
    event = claim.events.filter(kind=ClaimEvent.Kind.DEADLINE, data__deadline="pay_on").get()
    assert (event.data["from"], event.data["to"]) == ("2025-02-19", "2025-02-26")
    mail_row = Notification.objects.get(claim=claim, kind="pay_date_replanned")
    assert mail_row.state == "sent" and "2025년 2월 26일" in mail_row.body_text


def test_a_holiday_edit_never_moves_a_promised_pay_date(world, accepted, django_capture_on_commit_callbacks):
    from incidents.services import holiday_add
    from tests.factories import ComplianceFactory

    with django_capture_on_commit_callbacks(execute=True):
        holiday_add(actor=ComplianceFactory(), day=date(2025, 3, 4), name="임시", kind="public", reason="지정")
    assert world.reload(accepted).payment_due_on == date(2025, 3, 10)


def test_the_sla_page_shows_the_rate_paid_by_the_pay_date(world, at, accepted, client):
    at(2025, 3, 7, 10)
    services.payment_record(
        claim=accepted, actor=world.supervisor, amount_krw=200_000, method="bank_transfer", reference="TX-1"
    )
    from compensation.selectors import payment_sla

    assert payment_sla() == {"paid_on_time": 1, "paid_late": 0, "unpaid_overdue": 0, "rate": 100.0}
    client.force_login(world.supervisor)
    page = client.get(reverse("admin:compensation_sla")).content.decode()
    assert '<td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">100.0%</td>' in page
