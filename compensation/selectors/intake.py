"""What a claim is filed against, cached per process: the incident (intake facts) and the terms in
force for one damage type.

On an outage morning thousands of claims read the same incident and the same published terms. They
change only when an incident is saved, a notice version is published (its terms are linked in the
same transaction) or a policy or its documents change (a new policy version): each replaces the
public stamp after commit (`incidents/public_cache.py`). A process keeps its answers under the
stamp it read and starts over when the stamp changes; while the shared cache is unreachable
(`config.cache`: a miss) every call reads the database. Whether intake is open is still decided
per claim, at its own filing time.
"""

import threading

from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from compensation.models import NoticeTerms, PolicyVersion
from incidents import public_cache
from incidents.models import Incident

_lock = threading.Lock()
_memo = {"stamp": None, "found": {}}
MAX_ENTRIES = 10_000


def intake_incident(incident_pk, policy_pk):
    """The incident (pk, title, state, type, intake end) annotated with `terms_id` (the NoticeTerms
    its latest notice version published for the policy, or None) and `terms_version_id` (that
    version's PolicyVersion, else the policy's latest), or None if there is no such incident.

    Shared between requests: read it, never change it.
    """
    stamp = public_cache.stamp()
    key = (incident_pk, policy_pk)
    with _lock:
        if _memo["stamp"] != stamp or stamp is None or len(_memo["found"]) > MAX_ENTRIES:
            _memo["stamp"], _memo["found"] = stamp, {}
        if key in _memo["found"]:
            return _memo["found"][key]
    incident = _read(incident_pk, policy_pk)
    with _lock:
        if stamp is not None and _memo["stamp"] == stamp:
            _memo["found"][key] = incident
    return incident


def _read(incident_pk, policy_pk):
    published = NoticeTerms.objects.filter(
        notice_version__incident=OuterRef("pk"), policy_version__policy_id=policy_pk
    ).order_by("-notice_version__number")
    latest = PolicyVersion.objects.filter(policy_id=policy_pk).order_by("-number")
    return (
        Incident.objects.filter(pk=incident_pk)
        .only("pk", "title", "state", "incident_type", "intake_ends_on")
        .annotate(
            terms_id=Subquery(published.values("pk")[:1]),
            terms_version_id=Coalesce(
                Subquery(published.values("policy_version_id")[:1]),
                Subquery(latest.values("pk")[:1]),
                output_field=BigIntegerField(),
            ),
        )
        .first()
    )


def forget():
    """Drop this process's answers (tests)."""
    with _lock:
        _memo["stamp"], _memo["found"] = None, {}
