"""Two web machines behind one load balancer: two gunicorn instances sharing PostgreSQL, Redis and
S3-compatible object storage (moto's standalone server), and two Celery workers on one outbox.

A claim filed through one instance is visible, with its document, through the other; documents
are private objects, never on local disk, and a refused submit leaves no object behind.
"""

import re
import urllib.request
import uuid
from types import SimpleNamespace

import pytest
import redis
import requests
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction

from compensation.models import Claim, ClaimDocument, Notification
from compensation.notifications import outbox
from incidents.kst import KST
from tests.compensation.factories import PNG_BYTES, PolicyFactory, RequiredDocumentFactory, open_incident
from tests.factories import UserFactory

from .notification_support import REDIS_SERVER, require_services, wait_for
from .stack import CSRF, Gunicorn, S3Server, web_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUCKET = "claims-it"
SHARED_REDIS = f"{REDIS_SERVER}/7"
PASSWORD = "pw-Secret-123"  # UserFactory's
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def two_machines(transactional_db, tmp_path):
    from django.db import connection

    require_services()
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    redis.Redis.from_url(SHARED_REDIS).flushdb()
    media = tmp_path / "var" / "private"
    media.mkdir(parents=True)
    started = []
    try:
        s3 = S3Server(tmp_path / "moto.log")
        started.append(s3)
        s3.create_bucket(BUCKET)
        env = web_env(database_url=database_url, redis_url=SHARED_REDIS, bucket=BUCKET, s3_url=s3.url, media_root=media)
        a = Gunicorn(env=env, log_path=tmp_path / "web-a.log")
        started.append(a)
        b = Gunicorn(env=env, log_path=tmp_path / "web-b.log")
        started.append(b)
        yield SimpleNamespace(a=a, b=b, s3=s3, media=media)
    finally:
        for process in reversed(started):
            process.stop()
        redis.Redis.from_url(SHARED_REDIS).flushdb()


def claimant(email):
    """A verified account whose password hash the production settings can check (tests use MD5)."""
    hasher = PBKDF2PasswordHasher()
    user = UserFactory(email=email)
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def sign_in(url, email):
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=20)
    token = CSRF.search(page.text).group(1)
    response = session.post(
        f"{url}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, response.text[:2000]
    return session


def file_claim(session, url, incident, policy, requirement):
    form_url = f"{url}/claims/new/?incident={incident.pk}&policy={policy.pk}"
    page = session.get(form_url, timeout=20)
    assert page.status_code == 200, page.text[:2000]
    data = {
        "csrfmiddlewaretoken": CSRF.search(page.text).group(1),
        # The form's own key, or (when the page refuses a second claim up front) a fresh one.
        "idempotency_key": key.group(1) if (key := IDEMPOTENCY.search(page.text)) else str(uuid.uuid4()),
        "amount_claimed_krw": "300000",
        "asset": "btc",
        "side": "buy",
        "quantity": "0.01",
        "intended_price_krw": "100000000",
        "intended_at": incident.started_at.astimezone(KST).strftime("%Y-%m-%dT%H:%M"),
        "description": "매수 주문이 체결되지 않았습니다",
        "payout_method": "bank",
        "payout_account": "국민은행 123-456-789",
    }
    files = {f"doc_{requirement.pk}": ("screenshot.png", PNG_BYTES, "image/png")}
    return session.post(form_url, data=data, files=files, allow_redirects=False, timeout=30)


def test_a_claim_filed_on_one_machine_is_served_with_its_document_by_the_other(two_machines):
    policy = PolicyFactory()
    requirement = RequiredDocumentFactory(policy=policy)
    incident = open_incident()
    user = claimant("claimant@example.com")

    on_a = sign_in(two_machines.a.url, user.email)
    response = file_claim(on_a, two_machines.a.url, incident, policy, requirement)
    assert response.status_code == 302, response.text[:3000]
    claim = Claim.objects.get()
    document = ClaimDocument.objects.get()
    assert response.headers["Location"] == f"/claims/{claim.pk}/"

    # The document is a private object in the bucket, nothing is on either machine's disk.
    keys = two_machines.s3.keys(BUCKET)
    assert keys == [f"documents/{document.file.name}"]
    assert not any(p.is_file() for p in two_machines.media.rglob("*"))
    public = urllib.request.Request(f"{two_machines.s3.url}/{BUCKET}/{keys[0]}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(public, timeout=5)
    assert refused.value.code == 403

    # The same session (sessions live in PostgreSQL) on the other machine.
    on_b = requests.Session()
    on_b.cookies.update(on_a.cookies)
    page = on_b.get(f"{two_machines.b.url}/claims/{claim.pk}/", timeout=20)
    assert page.status_code == 200 and claim.number in page.text
    download_path = f"/claims/{claim.pk}/documents/{document.pk}/"
    assert download_path in page.text
    download = on_b.get(f"{two_machines.b.url}{download_path}", timeout=20)
    assert download.status_code == 200
    assert download.content == PNG_BYTES
    assert download.headers["Content-Type"] == "image/png"
    assert "attachment" in download.headers["Content-Disposition"]

    # Nobody else gets it, through either machine.
    stranger = claimant("stranger@example.com")
    other = sign_in(two_machines.b.url, stranger.email)
    assert other.get(f"{two_machines.a.url}{download_path}", timeout=20).status_code == 404
    assert requests.get(f"{two_machines.a.url}{download_path}", timeout=20, allow_redirects=False).status_code == 302

    # A refused second claim (same incident and damage type) leaves no object behind.
    again = file_claim(on_b, two_machines.b.url, incident, policy, requirement)
    assert again.status_code == 400
    assert Claim.objects.count() == 1 and ClaimDocument.objects.count() == 1
    assert two_machines.s3.keys(BUCKET) == keys


def test_uploads_rolled_back_on_object_storage_leave_no_object(two_machines, monkeypatch):
    """atomic_with_files on S3: the claim fails after its document was stored; the object is deleted."""
    from compensation import services
    from tests.compensation.factories import png_upload, submit_kwargs

    storage = two_machines.s3.storage(BUCKET)
    monkeypatch.setattr(ClaimDocument._meta.get_field("file"), "storage", storage)
    policy = PolicyFactory()
    requirement = RequiredDocumentFactory(policy=policy)
    incident = open_incident()

    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr("compensation.notifications.claimant.claim_received", crash)
    with pytest.raises(Crash):
        services.claim_submit(
            actor=UserFactory(),
            **submit_kwargs(incident=incident, policy=policy, files=[(requirement, png_upload())]),
        )
    assert not Claim.objects.exists()
    assert two_machines.s3.keys(BUCKET) == []


def test_two_workers_drain_one_outbox_without_sending_anything_twice(real_components):
    inbox, start = real_components
    total = 60
    start()
    start()
    with transaction.atomic():
        outbox.add(
            [
                Notification(
                    key=f"it:two:{i}",
                    kind="deadline_alert",
                    to_email=f"staff{i}@example.com",
                    context={"deadline": "review_due", "stage": "d1", "due_on": "2025-02-18", "claim_number": f"C-{i}"},
                )
                for i in range(total)
            ]
        )
    # Every row handed out a second time as well, as a requeue racing the first delivery would.
    outbox.enqueue_rows(Notification.objects.values_list("pk", "kind"))
    wait_for(
        lambda: Notification.objects.filter(state=Notification.State.SENT).count() == total,
        timeout=60,
        what="every row sent",
    )
    keys = inbox.keys()
    assert len(keys) == total and len(set(keys)) == total
