"""Compensation staff UI: each concern in its own module; importing one registers its admin."""

from compensation.admin import claims, control_review, coverage, notifications, policies, records  # noqa: F401
