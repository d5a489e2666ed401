"""Compensation admin: each concern in its own module; importing registers it."""

from . import admin_claims, admin_policies, admin_records  # noqa: F401
from . import admin_notifications  # noqa: F401,E402 - the outbox (issue 7)
