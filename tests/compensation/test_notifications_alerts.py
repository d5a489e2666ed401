"""Staff alerts: D-3, D-1 and overdue for each running deadline, set-based and idempotent."""

import uuid
from datetime import timedelta

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compensation import tasks
from compensation.models import Claim, ClaimState, Notification
from compensation.notifications import staff_alerts as alerts
from incidents import calendar
from incidents.calendar import end_of_day
from tests.factories import IncidentFactory, UserFactory


def alert_rows(**filters):
    return Notification.objects.filter(kind="deadline_alert", **filters)


def stages(claim):
    return sorted(alert_rows(claim=claim).values_list("context__stage", "recipient_id"))


def test_review_deadline_walks_through_d3_d1_and_overdue_to_the_assignee(world, at, django_capture_on_commit_callbacks):
    claim = world.claim_in(ClaimState.IN_REVIEW)  # due Tue 2025-02-18, assigned to the agent
    at(2025, 2, 12, 10)
    assert alerts.sweep() == 0
    at(2025, 2, 13, 10)  # three business days before
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_deadline_alerts.delay()
    assert stages(claim) == [("d3", world.agent.pk)]
    message = mail.outbox[-1]
    assert message.to == [world.agent.email] and message.subject.startswith("[D-3] 보상신청 검토 기한")
    assert "2025년 2월 18일 23:59" in message.body
    at(2025, 2, 14, 10)  # still within D-3: nothing new
    alerts.sweep()
    assert stages(claim) == [("d3", world.agent.pk)]
    at(2025, 2, 17, 10)  # one business day before
    alerts.sweep()
    at(2025, 2, 18, 23, 50)  # due today: still D-1, already sent
    alerts.sweep()
    assert len(stages(claim)) == 2
    at(2025, 2, 19, 0, 5)
    alerts.sweep()
    assert stages(claim) == [("d1", world.agent.pk), ("d3", world.agent.pk), ("overdue", world.agent.pk)]


def test_sweep_run_twice_queues_nothing_twice(world, at):
    world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 17, 10)
    assert alerts.sweep() == 4  # the claim's D-1 and the intake end's D-3 to 3 editors
    assert alerts.sweep() == 0
    assert alert_rows().count() == 4


def test_unassigned_claim_alerts_every_supervisor(world, at):
    claim = world.submit()
    at(2025, 2, 17, 10)
    alerts.sweep()
    assert stages(claim) == sorted([("d1", world.supervisor.pk), ("d1", world.supervisor2.pk)])


def test_objection_review_deadline(world, at):
    objected = world.claim_in(ClaimState.OBJECTED)  # the agent who decided stays the assignee
    alerts.sweep(now=end_of_day(objected.review_due_on) - timedelta(hours=1))
    row = alert_rows(claim=objected).get(recipient=world.agent)
    assert (row.context["deadline"], row.context["stage"]) == ("objection_review_due", "d1")


def test_payment_due_alert(world, at):
    claim = world.claim_in(ClaimState.ACCEPTED)
    alerts.sweep(now=end_of_day(claim.payment_due_on) + timedelta(minutes=5))
    row = alert_rows(claim=claim).get()
    assert (row.context["deadline"], row.context["stage"], row.recipient_id) == (
        "payment_due",
        "overdue",
        world.agent.pk,
    )


def test_intake_end_and_unposted_notice_alert_supervisors_and_compliance(world, at):
    late = IncidentFactory(started_at=timezone.now() - timedelta(hours=30))
    at(2025, 2, 19, 10)  # the World incident's intake ends 2025-02-20
    alerts.sweep()
    intake = alert_rows(context__deadline="intake_end")
    assert intake.count() == 3 and {r.context["stage"] for r in intake} == {"d1"}
    assert set(intake.values_list("context__incident_id", flat=True)) == {world.incident.pk}
    # Its notice is weeks late: beyond the overdue lookback, left to the daily digest.
    assert not alert_rows(context__incident_id=late.pk).exists()


def test_notice_not_posted_alerts_before_and_after_the_target(world, at):
    fresh = IncidentFactory(started_at=timezone.now() - timedelta(hours=1))
    alerts.sweep()
    assert {r.context["stage"] for r in alert_rows(context__incident_id=fresh.pk)} == {"d1"}
    at(2025, 1, 23, 10)  # detected 2025-01-22 09:05 + 24 h has passed
    alerts.sweep()
    rows = alert_rows(context__incident_id=fresh.pk, context__stage="overdue")
    assert rows.count() == 3 and rows.first().context["deadline"] == "notice_not_posted"


def _clone_in_review(base, n):
    values = Claim.objects.filter(pk=base.pk).values().get()
    users = UserFactory.create_batch(n)
    for field in ("id", "number", "claimant_id", "idempotency_key"):
        values.pop(field)
    Claim.objects.bulk_create([Claim(**values, claimant=user, idempotency_key=uuid.uuid4()) for user in users])


def test_sweep_query_count_does_not_grow_with_the_number_of_due_claims(world, at):
    base = world.claim_in(ClaimState.IN_REVIEW)
    _clone_in_review(base, 9)
    at(2025, 2, 17, 10)
    calendar.get_calendar()
    with CaptureQueriesContext(connection) as ten:
        assert alerts.sweep() == 10 + 3
    Notification.objects.filter(kind="deadline_alert").delete()
    _clone_in_review(base, 190)
    with CaptureQueriesContext(connection) as two_hundred:
        assert alerts.sweep() == 200 + 3

    # Reads are fixed; the bulk INSERT is one statement on PostgreSQL and split only by SQLite's
    # 999-parameter limit (about 58 rows a statement), never one per claim.
    def split(captured):
        sqls = [q["sql"] for q in captured.captured_queries]
        return [q for q in sqls if not q.startswith("INSERT")], [q for q in sqls if q.startswith("INSERT")]

    reads_ten, _inserts = split(ten)
    reads_many, inserts_many = split(two_hundred)
    # Constant in N: claims, incidents, regulator reports, undelivered decision mails (issue 12), coverage shortfalls.
    assert len(reads_ten) == len(reads_many) <= 9, reads_many
    assert len(inserts_many) == (1 if connection.vendor == "postgresql" else 4)


def test_daily_digest_one_per_staff_member_with_queue_and_overdue(world, at, django_capture_on_commit_callbacks):
    mine = world.claim_in(ClaimState.IN_REVIEW)
    world.submit(policy=_other_policy(world))  # unassigned
    at(2025, 2, 20, 9)  # both review deadlines (2025-02-18) have passed
    with django_capture_on_commit_callbacks(execute=True):
        created = alerts.digest()
    assert created == 4  # agent, agent2, supervisor, supervisor2
    assert alerts.digest() == 0
    row = Notification.objects.get(kind="daily_digest", recipient=world.agent)
    assert row.context["queue_total"] == 1 and row.context["queue_overdue"] == 1
    assert row.context["queue"][0]["claim_number"] == mine.number
    assert row.context["overdue_total"] == 2
    message = next(m for m in mail.outbox if m.to == [world.agent.email])
    assert "내 담당 진행 중: 1건, 그중 기한 경과 1건" in message.body and "미배정" in message.body
    assert "in_review" not in message.body  # states read as words, not codes


def _other_policy(world):
    from compensation.models import DamageType
    from tests.compensation.factories import PolicyFactory

    return PolicyFactory(damage_type=DamageType.EXCESS_FEE, name="수수료")


def test_objection_window_lapse_task_accepts_decided_claims(world, at):
    claim = world.claim_in(ClaimState.DECIDED)
    world.decision_mail_delivered(claim)
    end = claim.objection_window_ends_on
    at(end.year, end.month, end.day, 23, 0)
    assert tasks.lapse_objection_windows.delay().get() == 0
    nxt = end + timedelta(days=1)
    at(nxt.year, nxt.month, nxt.day, 0, 30)
    assert tasks.lapse_objection_windows.delay().get() == 1
    claim = world.reload(claim)
    assert claim.state == ClaimState.ACCEPTED and claim.payment_due_on is not None


def test_beat_schedules_come_from_the_migration(db):
    from django_celery_beat.models import PeriodicTask

    tasks_by_name = {t.task: t for t in PeriodicTask.objects.select_related("crontab", "interval")}
    digest = tasks_by_name["compensation.tasks.send_daily_digests"]
    assert (digest.crontab.hour, digest.crontab.minute, str(digest.crontab.timezone)) == ("9", "0", "Asia/Seoul")
    assert tasks_by_name["compensation.tasks.requeue_pending"].interval.every == 1
    assert tasks_by_name["compensation.tasks.sweep_deadline_alerts"].crontab.hour == "*"
    assert "compensation.tasks.lapse_objection_windows" in tasks_by_name
