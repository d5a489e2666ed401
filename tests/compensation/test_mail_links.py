"""Mails lead somewhere: claimants to their claim in the portal, staff to the case in the admin."""

from compensation.models import ClaimState, Notification
from compensation.notifications import staff_alerts as alerts
from compensation.notifications.outbox import render


def test_claimant_mail_links_to_the_claim(world, settings):
    settings.SITE_URL = "https://compensation.example"
    claim = world.submit()
    row = render(Notification.objects.get(kind="claim_received", claim=claim))
    assert f"https://compensation.example/claims/{claim.pk}/" in row.body_text
    assert f'href="https://compensation.example/claims/{claim.pk}/"' in row.body_html


def test_staff_alert_links_to_the_case(world, at, settings):
    settings.SITE_URL = "https://compensation.example"
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 17, 9)
    alerts.sweep()
    row = render(Notification.objects.filter(kind="deadline_alert", claim=claim).first())
    assert f"https://compensation.example/admin/compensation/claim/{claim.pk}/change/" in row.body_text
