"""Compensation admin: each concern in its own module; importing registers it."""

from . import admin_claims, admin_policies, admin_records  # noqa: F401
