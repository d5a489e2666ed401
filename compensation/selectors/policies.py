"""Active policies with their required documents, cached per process for the claim form's hot path.

Policies change a few times per incident, claims arrive by the thousand: a stamp in the shared
cache (replaced after every committed policy change) tells each process when to reload. While the
shared cache is unreachable (`config.cache`: logged once per outage) every call reads the database.
"""

import threading
import uuid

from django.db import transaction
from django.db.models import Prefetch

from compensation.models import CompensationPolicy, RequiredDocument
from config import cache

STAMP_KEY = cache.register_stamp("compensation:policies:stamp")
_lock = threading.Lock()
_memo = {"stamp": None, "policies": {}}


def _current_stamp():
    stamp = cache.stamp(STAMP_KEY)
    if stamp is None:
        cache.add(STAMP_KEY, uuid.uuid4().hex, timeout=None)
        stamp = cache.get(STAMP_KEY)
    return stamp


def active_policy(pk):
    """The active policy `pk` with `required_documents` prefetched, or None."""
    stamp = _current_stamp()
    with _lock:
        if _memo["stamp"] != stamp or stamp is None:
            _memo["stamp"], _memo["policies"] = stamp, {}
        if pk in _memo["policies"]:
            return _memo["policies"][pk]
    policy = (
        CompensationPolicy.objects.filter(pk=pk, is_active=True)
        .prefetch_related(Prefetch("required_documents", queryset=RequiredDocument.objects.order_by("position", "pk")))
        .first()
    )
    with _lock:
        if _memo["stamp"] == stamp:
            _memo["policies"][pk] = policy
    return policy


def _forget_here():
    with _lock:
        _memo["stamp"], _memo["policies"] = None, {}


def forget():
    _forget_here()
    cache.set(STAMP_KEY, uuid.uuid4().hex, timeout=None)


def policies_changed(**kwargs):
    """post_save/post_delete of a policy or required document: this process reloads at once (it
    reads its own transaction), every process reloads after commit."""
    _forget_here()
    transaction.on_commit(forget)
