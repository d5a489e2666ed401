"""Child process of bench_claim_submit: runs against a throwaway PostgreSQL database.

Both views sit behind the same middleware stack (sessions, auth, CSRF, messages, locale, history)
and receive the same pre-encoded multipart body (the form + one small PNG), so the ratio is what
the claim path costs beyond "parse the request, insert one row, redirect".
"""

import io
import os
import statistics
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.http import HttpResponseRedirect  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.client import BOUNDARY, encode_multipart  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from compensation.models import Claim, CompensationPolicy, Method, RequiredDocument  # noqa: E402
from incidents import services as incident_services  # noqa: E402
from incidents.holiday_sync import sync_holiday_rows  # noqa: E402
from incidents.models import Holiday, Incident, IncidentType, Notice, Severity  # noqa: E402


def _png_bytes():
    """A real PNG: uploads are decoded and re-encoded, so the bench must send an image that opens."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png_bytes()
WARMUP = 30
# 300 requests each, in interleaved batches of 10: on a shared machine a burst of load then hits
# both sides alike, and the best batch of each is the least disturbed one.
BATCHES = 30
BATCH = 10
# An equal but distinct string: the test client then sends our pre-encoded body as it is
# (it re-encodes only when handed the MULTIPART_CONTENT object itself).
PRE_ENCODED = "".join(["multipart/form-data; boundary=", BOUNDARY])


class FloorRow(models.Model):
    """The floor's one row, in a table the bench creates (not part of the app, no migration)."""

    user_id = models.BigIntegerField()
    description = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        app_label = "compensation"
        db_table = "bench_floor"
        managed = False


def floor_view(request):
    """The floor: same request parsing and session/user lookup, one ORM INSERT, a redirect."""
    request.FILES  # noqa: B018 - parse the multipart body like the real view does
    FloorRow.objects.create(
        user_id=request.user.pk, description=request.POST.get("description", ""), created_at=timezone.now()
    )
    return HttpResponseRedirect("/claims/")


urlpatterns = [
    path("bench-floor/", floor_view),
    path("", include("config.urls")),
]


class UploadedPNG:
    name = "screenshot.png"
    content_type = "image/png"

    def read(self):
        return PNG


def setup_world(users_needed):
    from django.contrib.auth.models import Group

    sync_holiday_rows(Holiday, 2024, 2027)
    Group.objects.get_or_create(name="compliance")
    User = get_user_model()
    compliance = User.objects.create_user("bench-compliance", "c@example.com", "x", is_staff=True)
    compliance.groups.add(Group.objects.get(name="compliance"))
    now = timezone.now()
    incident = Incident.objects.create(
        title="bench 주문 장애",
        incident_type=IncidentType.ORDER_FAILURE,
        severity=Severity.MAJOR,
        affected_services="KRW 마켓",
        started_at=now - timezone.timedelta(days=1),
        detected_at=now - timezone.timedelta(days=1),
    )
    Notice.objects.create(
        incident=incident,
        description="사고",
        claim_procedure="절차",
        intake_period_note="1개월",
        compensation_criteria="차액",
    )
    policy = CompensationPolicy.objects.create(
        incident_type=IncidentType.ORDER_FAILURE,
        damage_type="missed_trade",
        name="bench 미체결",
        criteria="차액 × 수량",
        method=Method.PRICE_DIFFERENCE,
        cap_krw=5_000_000,
        exclusions=["mental_damage"],
    )
    incident_services.notice_publish(incident=incident, actor=compliance, delay_reason="bench")
    requirement = RequiredDocument.objects.create(policy=policy, name="주문 화면 캡처")
    users = User.objects.bulk_create(
        [User(username=f"bench{i}@example.com", email=f"bench{i}@example.com") for i in range(users_needed)]
    )
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, user_id bigint, description text,"
            " created_at timestamptz)"
        )
        cursor.execute("ANALYZE")
    return incident, policy, requirement, clients


def body(requirement):
    return encode_multipart(
        BOUNDARY,
        {
            "idempotency_key": str(uuid.uuid4()),
            "amount_claimed_krw": "300000",
            "asset": "BTC",
            "side": "buy",
            "quantity": "0.01",
            "intended_price_krw": "100000000",
            "intended_at": "",
            "description": "매수 주문이 체결되지 않았습니다",
            "payout_method": "bank",
            "payout_account": "국민은행 123-456-789",
            f"doc_{requirement.pk}": UploadedPNG(),
        },
    )


def timed(requests):
    """Mean seconds per request over `requests` (client, url, body) sent back to back."""
    start = time.perf_counter()
    for client, url, payload in requests:
        response = client.post(url, data=payload, content_type=PRE_ENCODED)
        if response.status_code != 302:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:2000]!r}")
    return (time.perf_counter() - start) / len(requests)


def main():
    call_command("migrate", verbosity=0)
    n_users = WARMUP + BATCHES * BATCH
    incident, policy, requirement, clients = setup_world(n_users)
    real_url = f"/claims/new/?incident={incident.pk}&policy={policy.pk}"
    floor_url = "/bench-floor/"
    # Every claim needs its own claimant (one live claim per user, incident and damage type) and key.
    bodies = [body(requirement) for _ in range(n_users)]
    warm = list(zip(clients[:WARMUP], bodies[:WARMUP]))
    timed([(c, floor_url, b) for c, b in warm])
    timed([(c, real_url, b) for c, b in warm])

    floor_batches, real_batches = [], []
    for i in range(BATCHES):
        lo = WARMUP + i * BATCH
        chunk = list(zip(clients[lo : lo + BATCH], bodies[lo : lo + BATCH]))
        run_floor = lambda chunk=chunk: floor_batches.append(timed([(c, floor_url, b) for c, b in chunk]))  # noqa: E731
        run_real = lambda chunk=chunk: real_batches.append(timed([(c, real_url, b) for c, b in chunk]))  # noqa: E731
        for step in (run_floor, run_real) if i % 2 == 0 else (run_real, run_floor):
            step()
    assert Claim.objects.count() == n_users, Claim.objects.count()

    with CaptureQueriesContext(connection) as floor_q:
        clients[1].post(floor_url, data=body(requirement), content_type=PRE_ENCODED)
    fresh_user = get_user_model().objects.create(username="bench-last@example.com", email="bench-last@example.com")
    fresh = Client()
    fresh.force_login(fresh_user)
    with CaptureQueriesContext(connection) as real_q:
        fresh.post(real_url, data=body(requirement), content_type=PRE_ENCODED)
    # Read the captures now: later requests reset the connection's query log.
    floor_queries, real_captured = len(floor_q), list(real_q.captured_queries)

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        extra = []
        for i in range(100):
            user = get_user_model().objects.create(username=f"bench-p{i}@example.com")
            c = Client()
            c.force_login(user)
            extra.append((c, real_url, body(requirement)))
        profiler = cProfile.Profile()
        profiler.enable()
        timed(extra)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ["BENCH_PROFILE"])
        if os.environ.get("BENCH_PROFILE_CALLEES"):
            stats.print_callees(os.environ["BENCH_PROFILE_CALLEES"])
        else:
            stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 45)
    floor, real = min(floor_batches), min(real_batches)
    paired = statistics.median(r / f for r, f in zip(real_batches, floor_batches))
    print(
        f"  floor (parse form + 1 ORM INSERT): best {floor * 1000:6.2f} ms/request, "
        f"median {statistics.median(floor_batches) * 1000:6.2f} ms ({floor_queries} queries)"
    )
    print(
        f"  claim submit (real view):      best {real * 1000:6.2f} ms/request, "
        f"median {statistics.median(real_batches) * 1000:6.2f} ms ({len(real_captured)} queries)"
    )
    print(
        f"  {BATCHES}×{BATCH} requests each after {WARMUP} warm-up, interleaved; median of paired batch "
        f"ratios {paired:.2f}×; broker {settings.CELERY_BROKER_URL}"
    )
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for q in real_captured:
            print(f"    {float(q['time']) * 1000:6.2f} ms  " + q["sql"][:120])
    print(f"RESULT claim submission: {real / floor:.2f}× the one-insert floor (target ≤ 3×; a Django helpdesk ~13×)")


if __name__ == "__main__":
    with override_settings(ROOT_URLCONF=__name__, CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"):
        main()
