"""Child of `python -m loadtest`: migrate the throwaway database and seed it; prints a JSON plan.

Runs with the loadtest environment (loopback production settings, the throwaway database). Uses
the test factories for the few rows that must go through the real services (published notices),
bulk inserts for the rest (claimant accounts, the 100,000 claims of the agent scenario).
"""

import json
import sys
import time
from datetime import timedelta

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_CACHE_PREFIX  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.claims_data import load_claims  # noqa: E402
from compensation.models import Claim, ClaimState  # noqa: E402
from incidents import roles  # noqa: E402
from incidents import services as incident_services  # noqa: E402
from incidents.kst import today_kst  # noqa: E402
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory  # noqa: E402
from tests.factories import AgentFactory, ComplianceFactory, IncidentFactory  # noqa: E402

PASSWORD = "Loadtest-Pass-2026"


def signed_in_session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_staff:
        # Staff pages need a session signed in with TOTP (config/staff_access.py): as allauth records it.
        at = time.time()
        store["account_authentication_methods_user"] = str(user.pk)
        store["account_authentication_methods"] = [
            {"method": "password", "at": at, "email": user.email},
            {"method": "mfa", "at": at, "type": "totp"},
        ]
    store.create()
    return store.session_key


def outage_claimants(count, password):
    """`count` claimants who each file one claim on the outage morning, signed in as a sign-in leaves
    them (session row written and, with the cached_db engine, in the cache too): made in bulk."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"lt-o{i}@example.com", email=f"lt-o{i}@example.com", password=password) for i in range(count)]
    )
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
    store = SessionStore()
    expire = timezone.now() + timedelta(seconds=store.get_session_cookie_age())
    rows, cached = [], {}
    for user in users:
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"}
        data[HASH_SESSION_KEY] = user.get_session_auth_hash()
        key = store._get_new_session_key()
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        cached[SESSION_CACHE_PREFIX + key] = data
    Session.objects.bulk_create(rows, batch_size=2000)
    if settings.SESSION_ENGINE.endswith("cached_db"):
        caches[settings.SESSION_CACHE_ALIAS].set_many(cached, timeout=store.get_session_cookie_age())
    return {u.email: row.session_key for u, row in zip(users, rows, strict=True)}


def main(accounts, incidents, queue_claims, outage_accounts=0):
    call_command("migrate", verbosity=0)
    User = get_user_model()
    password = make_password(PASSWORD)  # the production hasher: sign-in costs what it costs
    users = User.objects.bulk_create(
        [User(username=f"lt-{i}@example.com", email=f"lt-{i}@example.com", password=password) for i in range(accounts)]
    )
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
    outage_sessions = outage_claimants(outage_accounts, password)
    policy = PolicyFactory()
    requirement = RequiredDocumentFactory(policy=policy)
    now = timezone.now()
    compliance = ComplianceFactory(username="lt-compliance", email="lt-compliance@example.com", password=None)
    opened = []
    for i in range(incidents):
        incident = IncidentFactory(
            title=f"KRW 마켓 주문 장애 {i}", started_at=now - timedelta(hours=6), ended_at=now - timedelta(hours=4)
        )
        incident_services.notice_publish(incident=incident, actor=compliance)
        opened.append(incident)
    agent = AgentFactory(username="lt-agent", email="lt-agent@example.com", password=None)
    agent.password = password
    agent.save(update_fields=["password"])
    assert roles.has_role(agent, roles.AGENT)
    # Sessions as a sign-in leaves them: the claim scenarios measure filing, not password hashing
    # (the sign-in scenario measures that on its own).
    sessions = {u.username: signed_in_session(u) for u in [*users, agent]}

    today = today_kst()
    load_claims(queue_claims, due_on=lambda i: today + timedelta(days=(i % 41) - 10), progress=lambda _m: None, tag="Q")
    queue_ids = list(Claim.objects.filter(number__startswith="C-Q-").values_list("pk", flat=True)[:2000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = {
        "password": PASSWORD,
        "accounts": [u.email for u in users],
        "notice_incident": opened[0].pk,
        "incidents": [i.pk for i in opened],
        "policy": policy.pk,
        "requirement": requirement.pk,
        "agent": agent.username,
        "sessions": {**sessions, **outage_sessions},
        "outage_accounts": list(outage_sessions),
        "queue_claims": Claim.objects.filter(number__startswith="C-Q-").count(),
        "queue_claim_ids": queue_ids,
        "open_states": [ClaimState.SUBMITTED],
    }
    print(json.dumps(plan))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
