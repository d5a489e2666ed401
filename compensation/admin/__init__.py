"""Compensation staff UI: each concern in its own module; importing one registers its admin."""

from compensation.admin import claims, coverage, notifications, policies, records  # noqa: F401
