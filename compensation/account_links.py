"""The signed link that proves a portal user controls an exchange account.

It is mailed only to the address the exchange holds for the account (the account list import),
inside the decision mail of a proactive claim or on request from the portal. Opening it while
signed in links the account to that portal user. Signed with SECRET_KEY, expires after
`COMPENSATION_ACCOUNT_LINK_DAYS` (default 180: a decision's objection rounds fit inside it).
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "compensation.exchange-account-link"


def max_age_seconds():
    return max(1, getattr(settings, "COMPENSATION_ACCOUNT_LINK_DAYS", 180)) * 86400


def token_for(account_pk):
    return signing.dumps({"a": account_pk}, salt=SALT)


def account_pk_from(token):
    """The account's pk; raises signing.BadSignature (or SignatureExpired) for a bad or old token."""
    return signing.loads(token, salt=SALT, max_age=max_age_seconds())["a"]


def link_path(account_pk):
    return reverse("compensation:account_link", args=[token_for(account_pk)])
