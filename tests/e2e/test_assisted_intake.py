"""Staff-assisted intake in the browser: an agent records a caller's claim in the admin, the mail with the
signed link arrives, the user follows it, signs up, confirms, and the case page shows the confirmation."""

import re

import pytest
from django.core import mail

from compensation.models import AssistedIntake, Claim, ClaimEvent, ClaimOrigin, Confirmation
from tests.compensation.factories import PolicyFactory, open_incident
from tests.factories import AgentFactory

pytestmark = pytest.mark.e2e


def test_an_agent_records_a_call_and_the_user_confirms_it_through_the_mailed_link(
    server, page, login, sign_up, screenshot
):
    policy = PolicyFactory()
    incident = open_incident()
    agent = AgentFactory()

    # The agent records the call in the admin.
    login(page, agent)
    page.goto(f"{server.url}/admin/compensation/claim/?queue=all")
    page.click("#record-assisted")
    page.select_option("#id_incident", str(incident.pk))
    page.select_option("#id_policy", str(policy.pk))
    with page.expect_navigation():
        page.locator("#assisted-choose input[type=submit]").click()
    page.fill("#id_email", "park.jiho@example.com")
    page.select_option("#id_channel", "phone")
    page.select_option("#id_identity_method", "callback")
    page.fill("#id_identity_note", "본인인증 콜백 완료")
    page.fill("#id_amount_claimed_krw", "-1")  # a slip: refused, and what was typed stays
    page.fill("#id_asset", "BTC")
    page.select_option("#id_side", "buy")
    page.fill("#id_quantity", "0.02")
    page.fill("#id_intended_price_krw", "100000000")
    page.fill("#id_description", "전화 접수: 장애 중 매수 주문이 체결되지 않았습니다.")
    page.select_option("#id_payout_method", "bank")
    page.fill("#id_payout_account", "신한은행 110-123-456789")
    with page.expect_navigation():
        page.locator("#assisted-form input[type=submit]").click()
    assert page.locator(".errorlist").count() >= 1
    assert page.input_value("#id_payout_account") == "신한은행 110-123-456789"
    page.fill("#id_amount_claimed_krw", "120000")
    with page.expect_navigation():
        page.locator("#assisted-form input[type=submit]").click()
    claim = Claim.objects.get()
    assert page.url.endswith(f"/admin/compensation/claim/{claim.pk}/change/")
    assert claim.origin == ClaimOrigin.ASSISTED and claim.claimant is None
    screenshot("admin-assisted-recorded")

    # The mail arrives through the outbox, Korean first, with the link on its own line.
    [message] = [m for m in mail.outbox if "park.jiho@example.com" in m.to]
    assert message.body.index("상담원") < message.body.index("A member of our staff")
    link = server.url + re.search(r"^https?://[^/\s]+(/claims/confirm/\S+/)$", message.body, re.M).group(1)

    # The user follows it: asked to sign in, signs up with that address, opens it again and confirms.
    page.context.clear_cookies()
    page.goto(link)
    assert "/accounts/login/" in page.url
    sign_up(page, "park.jiho@example.com", "Outage-Claim-2025!")
    page.goto(link)
    assert "120,000" in page.locator("#recorded-claim").inner_text()
    screenshot("portal-assisted-confirm")
    with page.expect_navigation():
        page.locator("#confirm-form button[type=submit]").click()
    assert page.url.endswith(f"/claims/{claim.pk}/")
    claim.refresh_from_db()
    assert claim.claimant.email == "park.jiho@example.com"
    assert AssistedIntake.objects.get(claim=claim).confirmation == Confirmation.CONFIRMED
    assert ClaimEvent.objects.filter(claim=claim, kind=ClaimEvent.Kind.CONFIRMATION).count() == 1

    # The agent's case page shows the confirmation, in the panel and the timeline.
    page.context.clear_cookies()
    login(page, agent)
    page.goto(f"{server.url}/admin/compensation/claim/{claim.pk}/change/")
    assert "신청인 확인 완료" in page.locator("#assisted-confirmation").inner_text()
    assert "신청인이 직원이 기록한 신청 내용을 확인함" in page.locator("#case-timeline").inner_text()
    screenshot("admin-assisted-confirmed")
