"""Signed links: the one that proves a portal user controls an exchange account, and (below) the one
that lets a user confirm a claim staff recorded for them.

The account link is mailed only to the address the exchange holds for the account (the account list import),
inside the decision mail of a proactive claim or on request from the portal. Opening it while
signed in links the account to that portal user. Signed with SECRET_KEY, expires after
`COMPENSATION_ACCOUNT_LINK_DAYS` (default 180: a decision's objection rounds fit inside it).
"""

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse

SALT = "compensation.exchange-account-link"


def max_age_seconds():
    return max(1, settings.COMPENSATION_ACCOUNT_LINK_DAYS) * 86400


def token_for(account_pk):
    return signing.dumps({"a": account_pk}, salt=SALT)


def account_pk_from(token):
    """The account's pk; raises signing.BadSignature (or SignatureExpired) for a bad or old token."""
    return signing.loads(token, salt=SALT, max_age=max_age_seconds())["a"]


def link_path(account_pk):
    return _path("compensation:account_link", token_for(account_pk))


_MARKER = "~token~"
_reversed = {}


def _path(name, token):
    """reverse(name, args=[token]), the pattern resolved once per URL configuration, not once per mail
    (a drain writes 200,000). A signed token is made of characters reverse() never quotes."""
    key = (name, get_script_prefix(), get_urlconf())
    if key not in _reversed:
        _reversed[key] = reverse(name, args=[_MARKER])
    return _reversed[key].replace(_MARKER, token, 1)


# --- the confirmation link of a claim staff recorded for a caller (staff-assisted intake) ---------
# Mailed to the address staff recorded (or the portal user's). Opening it signed in as that user,
# or with that address, shows the content to confirm or correct. Valid
# `COMPENSATION_CONFIRMATION_LINK_DAYS` (default 30); afterwards the portal's claim page (for a
# claim already tied to the user) or a new link from staff.
CONFIRMATION_SALT = "compensation.assisted-claim-confirmation"


def confirmation_max_age_seconds():
    return max(1, settings.COMPENSATION_CONFIRMATION_LINK_DAYS) * 86400


def confirmation_token_for(claim_pk):
    return signing.dumps({"c": claim_pk}, salt=CONFIRMATION_SALT)


def claim_pk_from_confirmation(token):
    """The claim's pk; raises signing.BadSignature (or SignatureExpired) for a bad or old token."""
    return signing.loads(token, salt=CONFIRMATION_SALT, max_age=confirmation_max_age_seconds())["c"]


def confirmation_link_path(claim_pk):
    return reverse("compensation:assisted_confirm", args=[confirmation_token_for(claim_pk)])
