"""The public notice page during an outage: rendered once per published version and language.

The notice is identical for everyone reading it, and on the morning after an outage it is most of
the traffic. Its article is rendered WITHOUT the request (so no user, no CSRF token, no language
menu can get into it) and kept in the shared cache; each response wraps it in the per-user page
(`base.html`: language menu, sign-in links, CSRF token), which is never cached.

Keys carry a stamp that any change to what the article shows replaces after commit: an incident,
a published notice version, or what a panel provider shows (providers call `changed()`; the
compensation app does it for policies). A cached article also expires when the intake period it
announces as open closes, and after `NOTICE_CACHE_SECONDS` in any case.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from config import cache  # a cache outage is a miss (logged once), never an error: config/cache.py

STAMP_KEY = cache.register_stamp("incidents:notice:stamp")


def _timeout():
    return getattr(settings, "NOTICE_CACHE_SECONDS", 300)


def _stamp():
    stamp = cache.stamp(STAMP_KEY)
    if stamp is None:
        cache.add(STAMP_KEY, uuid.uuid4().hex, timeout=None)
        stamp = cache.get(STAMP_KEY)
    return stamp


def stamp():
    """The current stamp: other public pages built from the same rows (the claim form's shared parts,
    compensation/selectors/claim_form_cache.py) key on it too, so one change makes them all stale."""
    return _stamp()


def _replace_stamp():
    cache.set(STAMP_KEY, uuid.uuid4().hex, timeout=None)


def changed(**kwargs):
    """Something a public notice shows changed: every cached article is stale. Usable as a receiver.

    The stamp is replaced now (this transaction reads its own change) and again after commit: a
    reader in another process may have cached the old article in between.
    """
    _replace_stamp()
    transaction.on_commit(_replace_stamp, robust=True)


def forget():
    """Drop every cached article (tests; after restoring a backup)."""
    _replace_stamp()


def seconds_valid(closes_at, now=None):
    """How long an article may be served: until the intake it shows as open closes, at most the timeout."""
    timeout = _timeout()
    if closes_at is None:
        return timeout
    left = (closes_at - (now or timezone.now())) / timedelta(seconds=1)
    if left <= 0:
        return timeout  # already shown as closed; that does not change with time
    return max(1, min(timeout, int(left)))


def notice(*, pk, number, build):
    """The article of incident `pk`'s notice (`number` None: the current version) in the active language.

    `build()` returns ``{"title": str, "html": str, "closes_at": datetime | None}`` or raises
    Http404 (nothing is cached for a missing or unpublished notice).
    """
    key = f"incidents:notice:{_stamp()}:{pk}:{number or 'current'}:{translation.get_language()}"
    value = cache.get(key)
    if value is None:
        value = build()
        closes_at = value.pop("closes_at", None)
        cache.set(key, value, timeout=seconds_valid(closes_at))
    return value
