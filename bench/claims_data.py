"""Bulk-load many claims for benchmarks: users × incidents × policies, inserted in batches."""

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from compensation.models import Claim, CompensationPolicy, DamageType, Method
from incidents.models import Incident, IncidentType, Severity


def load_claims(n, *, due_on, state="in_review", batch=5000, progress=print, tag="b"):
    """Create `n` claims; `due_on(i)` gives claim i's review due date. Returns the claim ids' range."""
    User = get_user_model()
    damage_types = [d for d, _ in DamageType.choices]
    incidents_needed = 20
    users_needed = -(-n // (incidents_needed * len(damage_types)))
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(username=f"{tag}{i}@example.com", email=f"{tag}{i}@example.com") for i in range(users_needed)],
        batch_size=batch,
    )
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                title=f"bench incident {tag}{i}",
                incident_type=IncidentType.ORDER_FAILURE,
                severity=Severity.MAJOR,
                affected_services="bench",
                started_at=now - timedelta(days=10),
                detected_at=now - timedelta(days=10),
                intake_ends_on=(now + timedelta(days=20)).date(),
            )
            for i in range(incidents_needed)
        ]
    )
    policies = CompensationPolicy.objects.bulk_create(
        [
            CompensationPolicy(
                incident_type=IncidentType.ORDER_FAILURE,
                damage_type=d,
                name=f"bench {d}",
                is_active=False,
                criteria="bench",
                method=Method.MANUAL,
                cap_krw=5_000_000,
            )
            for d in damage_types
        ]
    )
    combos = ((u, i, p) for u in users for i in incidents for p in policies)
    rows, made = [], 0
    for index, (user, incident, policy) in zip(range(n), combos):
        due = due_on(index)
        rows.append(
            Claim(
                number=f"C-{tag}-{index:07d}",
                incident=incident,
                policy=policy,
                claimant=user,
                state=state,
                idempotency_key=uuid.uuid4(),
                amount_claimed_krw=100_000,
                description="bench",
                payout_method="bank",
                payout_account="bench",
                filed_at=now,
                review_due_on=due,
                statutory_due_on=due,
                review_clock_started_on=due - timedelta(days=21),
                review_business_days=15,
                calendar_revision=1,
            )
        )
        if len(rows) == batch:
            Claim.objects.bulk_create(rows)
            made += len(rows)
            rows = []
            progress(f"  … {made:,} claims")
    if rows:
        Claim.objects.bulk_create(rows)
        made += len(rows)
    return made
