"""Outbox keys keep their format: a changed format would let a message already queued be queued again."""

from datetime import date
from pathlib import Path

from django.conf import settings

from compensation.models import Notification
from compensation.notifications import keys


def test_key_formats_are_the_ones_rows_were_stored_under():
    assert keys.claim_received(7) == "claim:7:received"
    assert keys.supplement_requested(7, 31) == "claim:7:supplement:31"
    assert keys.review_extended(7) == "claim:7:review_extended"
    assert keys.decision(7, 9) == "claim:7:decision:9"
    assert keys.objection_received(7, 2) == "claim:7:objection:2:received"
    assert keys.payment_made(7, 9) == "claim:7:paid:9"
    assert keys.intake_closing_to_user(3, 12) == "intake_closing:3:u12"
    assert keys.intake_closing_to_address(3, "a@b.kr") == "intake_closing:3:e:a@b.kr"
    assert keys.claim_invitation(3, "a@b.kr") == "claim_invitation:3:a@b.kr"
    assert keys.deadline_alert("review", "C-1", date(2025, 2, 3), "d1", 5) == "alert:review:C-1:2025-02-03:d1:u5"
    assert keys.daily_digest(5, date(2025, 2, 3)) == "digest:u5:2025-02-03"
    assert keys.account_mail("account/email/password_reset_key", "abc") == "account:password_reset_key:abc"


def test_an_invitation_key_starts_with_its_incidents_prefix_and_no_other():
    key = keys.claim_invitation(3, "a@b.kr")
    assert key.startswith(keys.claim_invitations_of(3))
    assert not keys.claim_invitation(31, "a@b.kr").startswith(keys.claim_invitations_of(3))


def test_long_addresses_are_hashed_to_fit_the_key_column():
    email = "x" * 240 + "@example.com"
    assert len(keys.claim_invitation(3, email)) <= Notification._meta.get_field("key").max_length
    assert keys.address(email) != keys.address("y" + email)


def test_every_kind_has_its_mail_templates():
    folder = Path(settings.BASE_DIR) / "templates" / "emails" / "compensation"
    for kind in Notification.Kind:
        if kind == Notification.Kind.ACCOUNT_MAIL:
            continue  # allauth renders these; the row stores the rendered text
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (folder / f"{kind}{suffix}").exists(), f"{kind}{suffix}"
