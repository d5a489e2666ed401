"""`manage.py outbox_status`: the outbox at a glance for whoever is on call during an outage.

Read only. Counts by state, what is due and waiting (with or without a task on its way), the oldest
due row, rows failed recently with their errors grouped, and copies sent after a lost lease.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from compensation.models import Notification
from compensation.notifications import outbox

State = Notification.State
REPLY_CODE = re.compile(r"\b([45]\d\d)\b")


class Command(BaseCommand):
    help = "Show the notification outbox's state: pending, due, failed (last 24 h by error), late copies."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="failed rows of the last N hours (default 24)")

    def handle(self, *args, hours, **options):
        now = timezone.now()
        grace = timedelta(seconds=outbox._setting("NOTIFICATION_REQUEUE_GRACE_SECONDS", 30))
        rows = Notification.objects.all()
        by_state = dict(rows.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        pending = rows.filter(state=State.PENDING)
        due = pending.filter(next_attempt_at__lte=now)
        unqueued = due.filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - grace))
        oldest = due.aggregate(at=Min("next_attempt_at"))["at"]
        retrying = pending.filter(attempts__gt=0, next_attempt_at__gt=now)
        late = rows.aggregate(n=Sum("late_copies"))["n"] or 0
        write = self.stdout.write
        write(
            f"sent {by_state.get(State.SENT, 0)}, pending {by_state.get(State.PENDING, 0)}, "
            f"failed {by_state.get(State.FAILED, 0)}"
        )
        write(f"due now {due.count()} (no task on its way: {unqueued.count()}; the sweep queues these every minute)")
        if oldest is not None:
            write(f"oldest due since {oldest:%Y-%m-%d %H:%M:%S} UTC ({int((now - oldest).total_seconds())} s)")
        write(f"waiting for a retry {retrying.count()}")
        write(f"copies accepted after a lost lease {late}")
        errors = (
            rows.filter(
                Q(state=State.FAILED) | Q(state=State.PENDING, attempts__gt=0),
                created_at__gte=now - timedelta(hours=hours),
            )
            .exclude(last_error="")
            .values_list("state", "last_error")
        )
        grouped = {}
        for state, error in errors:
            # By exception and SMTP reply code: the text names the recipient, the code is the cause.
            code = REPLY_CODE.search(error)
            key = (state, error.split(":", 1)[0] + (f" {code.group(1)}" if code else ""))
            grouped[key] = grouped.get(key, 0) + 1
        if grouped:
            write(f"errors of the last {hours} h (state, error, rows):")
            for (state, error), count in sorted(grouped.items(), key=lambda item: -item[1])[:20]:
                write(f"  {state:<8} {count:>6}  {error}")
