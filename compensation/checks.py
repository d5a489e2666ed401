"""System checks: the outbox's time limits (a send must end or be stopped inside its lease), the site's names."""

from django.conf import settings
from django.core.checks import Error, register

from compensation.notifications.outbox import batch_budget_seconds, kick_seconds

# A claim mail waits this long at most for the rest of its burst (the drain holds a worker meanwhile).
MAX_KICK_SECONDS = 10

# About ten SMTP round trips (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, body, QUIT), each
# bounded by EMAIL_TIMEOUT.
SMTP_ROUND_TRIPS = 10


@register()
def notification_timeouts(app_configs, **kwargs):
    email_timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    budget = batch_budget_seconds()
    lease = settings.NOTIFICATION_LEASE_SECONDS
    soft = settings.NOTIFICATION_TASK_SOFT_TIME_LIMIT
    hard = settings.NOTIFICATION_TASK_TIME_LIMIT
    errors = []
    if not email_timeout or email_timeout <= 0:
        errors.append(
            Error(
                "EMAIL_TIMEOUT must be set (seconds): a stalled mail server would hold a worker for ever.",
                id="compensation.E001",
            )
        )
    elif not (budget + SMTP_ROUND_TRIPS * email_timeout <= soft < hard < lease):
        errors.append(
            Error(
                f"Mail time limits do not nest: need NOTIFICATION_BATCH_BUDGET_SECONDS ({budget}) "
                f"+ {SMTP_ROUND_TRIPS} × EMAIL_TIMEOUT ({email_timeout}) ≤ NOTIFICATION_TASK_SOFT_TIME_LIMIT ({soft}) "
                f"< NOTIFICATION_TASK_TIME_LIMIT "
                f"({hard}) < NOTIFICATION_LEASE_SECONDS ({lease}); otherwise a send can outlive its lease "
                "and a second worker sends the same mail.",
                id="compensation.E002",
            )
        )
    return errors


@register()
def notification_kick(app_configs, **kwargs):
    """Every claim mail leaves up to NOTIFICATION_KICK_SECONDS late: seconds, never minutes."""
    seconds = kick_seconds()
    if 0 <= seconds <= MAX_KICK_SECONDS:
        return []
    return [
        Error(
            f"NOTIFICATION_KICK_SECONDS is {seconds}: it must be between 0 and {MAX_KICK_SECONDS} seconds "
            "(each claim mail waits up to this long, and the drain holds a worker while it waits).",
            id="compensation.E004",
        )
    ]


@register()
def site_names(app_configs, **kwargs):
    """Mails greet with the site's name ("안녕하세요, 보상센터입니다."): a blank one reads as a broken mail."""
    blank = [name for name in ("SITE_NAME", "SITE_NAME_EN") if not str(getattr(settings, name, "") or "").strip()]
    return [
        Error(
            f"{name} is empty: mails would greet with a blank name. Set it (e.g. SITE_NAME=보상센터).",
            id="compensation.E003",
        )
        for name in blank
    ]
