"""The two signed links live as long as their settings say (both come from the environment)."""

import datetime as dt

import pytest
import time_machine
from django.core import signing

from compensation.notifications import links

SIGNED_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("sign", "read", "setting"),
    [
        (links.token_for, links.account_pk_from, "COMPENSATION_ACCOUNT_LINK_DAYS"),
        (
            links.confirmation_token_for,
            links.claim_pk_from_confirmation,
            "COMPENSATION_CONFIRMATION_LINK_DAYS",
        ),
    ],
    ids=["account link", "confirmation link"],
)
def test_a_link_expires_after_the_configured_days(settings, sign, read, setting):
    setattr(settings, setting, 3)
    with time_machine.travel(SIGNED_AT, tick=False):
        token = sign(41)
    with time_machine.travel(SIGNED_AT + dt.timedelta(days=3) - dt.timedelta(minutes=1), tick=False):
        assert read(token) == 41
    with time_machine.travel(SIGNED_AT + dt.timedelta(days=3, minutes=1), tick=False):
        with pytest.raises(signing.SignatureExpired):
            read(token)
