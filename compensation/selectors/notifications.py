"""Reads of the outbox that pages need (the case page's "what was sent")."""

from compensation.models import Notification


def notifications_for_claim(claim):
    """Every message about one claim, to the claimant and to staff, oldest first (one query)."""
    return (
        Notification.objects.filter(claim_id=getattr(claim, "pk", claim))
        .only(
            "pk",
            "key",
            "kind",
            "to_email",
            "language",
            "subject",
            "state",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "claim_id",
            "recipient_id",
        )
        .order_by("created_at", "pk")
    )
