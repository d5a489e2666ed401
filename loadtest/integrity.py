"""Child of `python -m loadtest`: after the submit scenarios, every successful submit produced exactly
one claim, one document on storage, one event and one outbox row; no error left a row or a file.

Reads the ledger the Locust submitters wrote (each idempotency key: sent, then filed or failed)
and matches it to the claims by idempotency key. Prints one JSON object: the counts and the
problems found (empty when all is well). A submit cut off when the run stopped may or may not
have been filed: either way it must be whole (one claim, document, file, event, outbox row).
"""

import json
import sys

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db.models import Count  # noqa: E402

from compensation.models import Claim, ClaimDocument, ClaimEvent, Notification  # noqa: E402


def read_ledger(path):
    outcome = {}
    for line in open(path):
        what, key = line.split()
        if what == "sent":
            outcome.setdefault(key, None)
        else:
            outcome[key] = what
    return outcome


def main(ledger):
    outcome = read_ledger(ledger)
    claims = Claim.objects.filter(claimant__username__startswith="lt-")
    documents = ClaimDocument.objects.filter(claim__in=claims)
    problems = []
    n_claims = claims.count()
    keys = {str(key) for key in claims.values_list("idempotency_key", flat=True)}
    filed = {key for key, what in outcome.items() if what == "filed"}
    failed = {key for key, what in outcome.items() if what == "failed"}
    cut_off = {key for key, what in outcome.items() if what is None}
    if filed - keys:
        problems.append(f"{len(filed - keys)} successful submits without a claim")
    if failed & keys:
        problems.append(f"{len(failed & keys)} failed submits that left a claim")
    if keys - set(outcome):
        problems.append(f"{len(keys - set(outcome))} claims nobody submitted")
    for label, model in (("document", ClaimDocument), ("event", ClaimEvent), ("outbox row", Notification)):
        per_claim = model.objects.filter(claim__in=claims).values("claim").annotate(n=Count("pk")).filter(n=1).count()
        if per_claim != n_claims:
            problems.append(f"{n_claims - per_claim} claims without exactly one {label}")
    names = set(documents.values_list("file", flat=True))
    root = settings.PRIVATE_MEDIA_ROOT
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    if names - on_disk:
        problems.append(f"{len(names - on_disk)} documents whose file is missing")
    if on_disk - names:
        problems.append(f"{len(on_disk - names)} files with no document row (left by a failed submit)")
    print(
        json.dumps(
            {
                "claims": n_claims,
                "filed": len(filed),
                "failed": len(failed),
                "cut_off_at_stop": len(cut_off),
                "cut_off_filed": len(cut_off & keys),
                "documents": documents.count(),
                "files": len(on_disk),
                "events": ClaimEvent.objects.filter(claim__in=claims).count(),
                "outbox": Notification.objects.filter(claim__in=claims).count(),
                "problems": problems,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
