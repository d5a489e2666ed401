"""Issue 12, case 3: holiday edits cannot rewrite history.

A claim filed Wed 2025-01-22 is due (statutory and working) 2025-02-18. On 2025-02-25 it is
overdue; adding non-business days in the past must not move it off the overdue list.
"""

from datetime import date

import pytest

from compensation.models import Claim, ClaimEvent, ClaimState
from compensation.selectors import overdue_q
from incidents import calendar
from incidents.errors import DomainError
from incidents.models import Holiday
from tests.factories import ComplianceFactory


@pytest.fixture
def compliance(db):
    return ComplianceFactory(), ComplianceFactory()


def _overdue_ids():
    return set(Claim.objects.filter(overdue_q()).values_list("pk", flat=True))


def _add(actor, day, reason="임시 휴무"):
    from incidents.services import holiday_add

    return holiday_add(actor=actor, day=day, name="임시 휴무", kind="non_business", reason=reason)


def test_past_non_business_days_wait_for_a_second_user_and_never_move_a_passed_deadline(
    world, at, compliance, django_capture_on_commit_callbacks
):
    from incidents.services import holiday_change_approve

    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 25, 10)
    assert claim.pk in _overdue_ids()
    first, second = compliance
    with django_capture_on_commit_callbacks(execute=True):
        change = _add(first, date(2025, 2, 10), reason="2/10 전산 점검으로 휴무였음")
    assert change.status == "pending" and "2025-02-10" in change.approval_needed_because
    assert not Holiday.objects.filter(date=date(2025, 2, 10)).exists()
    assert calendar.is_business_day(date(2025, 2, 10))
    with pytest.raises(DomainError) as refused:
        holiday_change_approve(actor=first, change=change)
    assert refused.value.code == "four_eyes"
    with django_capture_on_commit_callbacks(execute=True):
        holiday_change_approve(actor=second, change=change)
    assert not calendar.is_business_day(date(2025, 2, 10))
    claim = world.reload(claim)
    assert claim.statutory_due_on == date(2025, 2, 18)
    assert claim.review_due_on == date(2025, 2, 18)
    assert claim.pk in _overdue_ids()


def test_a_holiday_ahead_recomputes_running_deadlines_with_an_event_but_not_the_statutory_date(
    world, compliance, django_capture_on_commit_callbacks
):
    claim = world.claim_in(ClaimState.IN_REVIEW)  # today is 2025-01-22
    with django_capture_on_commit_callbacks(execute=True):
        change = _add(compliance[0], date(2025, 2, 10))
    assert change.status == "applied"
    claim = world.reload(claim)
    assert claim.review_due_on == date(2025, 2, 19)
    assert claim.statutory_due_on == date(2025, 2, 18)
    event = claim.events.get(kind=ClaimEvent.Kind.DEADLINE)
    assert (event.data["from"], event.data["to"]) == ("2025-02-18", "2025-02-19")


def test_a_day_inside_a_clock_that_has_ended_needs_a_second_user(world, compliance):
    world.claim_in(ClaimState.ACCEPTED)  # decided and accepted on 2025-01-22: its review clock ended
    change = _add(compliance[0], date(2025, 2, 10))
    assert change.status == "pending" and "2025-02-10" in change.approval_needed_because


def test_removing_a_past_holiday_waits_for_approval_and_keeps_passed_deadlines(world, at, compliance):
    from incidents.services import holiday_change_approve, holiday_remove

    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 25, 10)
    new_year = Holiday.objects.get(date=date(2025, 1, 28))
    change = holiday_remove(actor=compliance[0], holiday=new_year, reason="정정")
    assert change.status == "pending" and Holiday.objects.filter(pk=new_year.pk).exists()
    holiday_change_approve(actor=compliance[1], change=change)
    assert not Holiday.objects.filter(date=date(2025, 1, 28)).exists()
    assert world.reload(claim).statutory_due_on == date(2025, 2, 18)


def test_holiday_edits_need_compliance_and_a_reason(world, compliance):
    with pytest.raises(DomainError):
        _add(world.agent, date(2025, 3, 10))
    with pytest.raises(DomainError):
        _add(compliance[0], date(2025, 3, 10), reason=" ")


def test_the_admin_calls_the_services_and_a_second_user_approves_in_the_changes_list(
    world, at, client, compliance, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from incidents.models import HolidayChange

    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 25, 10)
    first, second = compliance
    client.force_login(first)
    response = client.post(
        reverse("admin:incidents_holiday_add"),
        {"date": "2025-02-10", "name": "전산 점검", "kind": "non_business", "reason": "점검 휴무"},
    )
    assert response.status_code == 302 and response.url == reverse("admin:incidents_holidaychange_changelist")
    change = HolidayChange.objects.get()
    assert (change.status, change.proposed_by, change.reason) == ("pending", first, "점검 휴무")
    changes = reverse("admin:incidents_holidaychange_changelist")
    client.post(changes, {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == "pending"  # the proposer cannot approve
    client.force_login(second)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changes, {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == "applied" and change.approved_by == second
    assert Holiday.objects.get(date=date(2025, 2, 10)).source == "staff"
    assert world.reload(claim).review_due_on == date(2025, 2, 18)
