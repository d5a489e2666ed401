"""Batch sending (`outbox.deliver_batch`, what each `send_notifications` task runs): one mail
connection per batch, rows handed back unspent when the time budget runs out, decision mails record
their delivery and restart the objection window only when they reach the claimant on a later day."""

from datetime import date

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from compensation import services
from compensation.models import ClaimState, Decision, Notification
from compensation.notifications import outbox
from tests.compensation.test_outbox_faults import make_row
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class CountingBackend(LocmemBackend):
    """The locmem backend, counting the connections made."""

    made = 0

    def __init__(self, *args, **kwargs):
        CountingBackend.made += 1
        super().__init__(*args, **kwargs)


def test_a_batch_sends_over_one_mail_connection(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.made = 0
    rows = [make_row(key=f"it:batch:{i}") for i in range(3)]
    assert outbox.deliver_batch(notification_ids=[row.pk for row in rows]) == ["sent"] * 3
    assert CountingBackend.made == 1 and len(mail.outbox) == 3
    assert set(Notification.objects.filter(pk__in=[row.pk for row in rows]).values_list("state", "attempts")) == {
        ("sent", 1)
    }


def test_rows_left_when_the_budget_runs_out_go_back_unspent(monkeypatch):
    rows = [make_row(key=f"it:budget:{i}") for i in range(3)]
    requeued = []
    monkeypatch.setattr(outbox, "enqueue_rows", lambda pairs: requeued.extend(pk for pk, _kind in pairs))
    assert outbox.deliver_batch(notification_ids=[row.pk for row in rows], budget=0) == ["sent", "requeued", "requeued"]
    states = Notification.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")
    # The two rows handed back were leased with the chunk but never tried: the lease is not an attempt.
    assert list(states.values_list("state", "attempts")) == [("sent", 1), ("pending", 0), ("pending", 0)]
    assert sorted(requeued) == [rows[1].pk, rows[2].pk]


def test_an_id_given_twice_is_sent_once():
    row = make_row()
    assert outbox.deliver_batch(notification_ids=[row.pk, row.pk]) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


def test_a_decision_mail_delivered_days_later_restarts_the_window_one_on_the_day_only_records_it(world, at):
    at(2025, 2, 3, 10)
    late = world.claim_in(ClaimState.IN_REVIEW)
    on_time = world.claim_in(ClaimState.IN_REVIEW, claimant=UserFactory())
    for claim in (late, on_time):  # their mails stay pending: on_commit does not run in a test transaction
        services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=1, reasons="x")
    mails = {claim.pk: Notification.objects.get(claim=claim, kind="decision").pk for claim in (late, on_time)}
    assert outbox.deliver_batch(notification_ids=[mails[on_time.pk]]) == ["sent"]
    at(2025, 2, 5, 10)
    assert outbox.deliver_batch(notification_ids=[mails[late.pk]]) == ["sent"]
    assert world.reload(on_time).objection_window_started_on == date(2025, 2, 3)
    assert world.reload(late).objection_window_started_on == date(2025, 2, 5)
    assert not Decision.objects.filter(claim__in=[late, on_time], mail_sent_at__isnull=True).exists()
