"""Outbox row keys: the one place their format is written (and read back).

A key is unique (`Notification.key`), so it says which message this is: queueing the same key
twice queues one message. Changing a format here would let rows already queued under the old
key be sent again, so formats only ever gain new functions. Imports nothing from the app.
"""

from datetime import date
from hashlib import sha1


def address(email):
    """An email address as part of a row key: keys are at most 200 characters, addresses up to 254."""
    return email if len(email) <= 120 else sha1(email.encode()).hexdigest()


# --- to the claimant, about one claim ---------------------------------------------------------
def claim_received(claim_pk):
    return f"claim:{claim_pk}:received"


def supplement_requested(claim_pk, request_event_pk):
    return f"claim:{claim_pk}:supplement:{request_event_pk}"


def review_extended(claim_pk):
    """A claim's review is extended at most once."""
    return f"claim:{claim_pk}:review_extended"


def decision(claim_pk, decision_pk):
    """The decision or an objection's decision: each decision is news once."""
    return f"claim:{claim_pk}:decision:{decision_pk}"


def decision_sql(claim_pk_sql, decision_pk_sql):
    """`decision()` written in SQL, for decisions issued set-based (INSERT … SELECT) by a proactive batch."""
    return f"'claim:' || {claim_pk_sql} || ':decision:' || {decision_pk_sql}"


def pay_date_replanned(claim_pk, decision_pk, pay_on: date):
    """A decision's 지급예정일 moved because it could not be kept: each new date is news once."""
    return f"claim:{claim_pk}:pay_on:{decision_pk}:{pay_on.isoformat()}"


def objection_received(claim_pk, objection_round):
    return f"claim:{claim_pk}:objection:{objection_round}:received"


def payment_made(claim_pk, decision_pk):
    """Keyed by the decision paid: a corrected decision paid later is news again."""
    return f"claim:{claim_pk}:paid:{decision_pk}"


def assisted_confirmation(claim_pk, revision):
    """A claim staff recorded for a caller: each version of its content is mailed for confirmation once."""
    return f"claim:{claim_pk}:assisted:{revision}"


def assisted_confirmation_resent(claim_pk, event_pk):
    """Staff mailed the confirmation link again (the first expired or went astray): each resend once."""
    return f"claim:{claim_pk}:assisted_resent:{event_pk}"


# --- to people who have not claimed (yet) --------------------------------------------------------
def intake_closing_to_user(incident_pk, user_pk):
    return f"intake_closing:{incident_pk}:u{user_pk}"


def intake_closing_to_address(incident_pk, email):
    return f"intake_closing:{incident_pk}:e:{address(email)}"


def claim_invitation(incident_pk, email):
    return f"{claim_invitations_of(incident_pk)}{address(email)}"


def claim_invitations_of(incident_pk):
    """The prefix every invitation of one incident's key starts with (`key__startswith`)."""
    return f"claim_invitation:{incident_pk}:"


def account_link(account_pk, user_pk, day: date):
    """The signed link to an exchange account's address, asked for from the portal: once a day per asker."""
    return f"account_link:{account_pk}:u{user_pk}:{day.isoformat()}"


# --- to staff ------------------------------------------------------------------------------------
def deadline_alert(deadline, ref, due: date, stage, user_pk):
    return f"alert:{deadline}:{ref}:{due.isoformat()}:{stage}:u{user_pk}"


def assisted_correction(claim_pk, event_pk, user_pk):
    """The claimant asked to correct what staff recorded: each request is news once to each recipient."""
    return f"claim:{claim_pk}:assisted_correction:{event_pk}:u{user_pk}"


def daily_digest(user_pk, day: date):
    return f"digest:u{user_pk}:{day.isoformat()}"


# --- account mail (allauth) ----------------------------------------------------------------------
def account_mail(template_prefix, unique):
    """Every account mail is its own message (a second reset link is a new one)."""
    return f"account:{template_prefix.rsplit('/', 1)[-1]}:{unique}"
