"""From the exchange's order log to a filed claim: staff import the log and invite; the user hit signs
up from the mail and files with the form filled in from their own failed order."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from compensation.models import AffectedOrder, Claim
from tests.compensation.factories import PNG_BYTES, PolicyFactory, RequiredDocumentFactory, open_incident
from tests.factories import SupervisorFactory

pytestmark = pytest.mark.e2e
EMAIL = "park.jiho@example.com"
PASSWORD = "Outage-Claim-2025!"


def test_staff_invite_from_the_order_log_and_the_user_files_a_prefilled_claim(server, page, login, sign_up, screenshot):
    policy = PolicyFactory()
    incident = open_incident()
    requirement = RequiredDocumentFactory(policy=policy, name="주문 화면 캡처")
    attempted = incident.started_at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%dT%H:%M")
    log = (
        "order_id,email,asset,side,quantity,price_krw,attempted_at,error\n"
        f"X-1001,{EMAIL.upper()},ETH,sell,1.25,5100000,{incident.started_at.isoformat()},E503 gateway timeout\n"
        f"X-1002,someone.else@example.com,BTC,buy,0.1,98000000,{incident.started_at.isoformat()},E503\n"
    )

    # A supervisor imports the log on the incident's page and invites the users hit.
    login(page, SupervisorFactory())
    page.goto(f"{server.url}/admin/compensation/claim/reports/incident/{incident.pk}/")
    page.locator("#content-main").get_by_role("link", name=re.compile("장애 중 실패한 주문|Affected orders")).click()
    page.set_input_files(
        "input[type=file]", files=[{"name": "orders.csv", "mimeType": "text/csv", "buffer": log.encode()}]
    )
    with page.expect_navigation():
        page.locator("form[enctype] input[type=submit]").click()
    assert AffectedOrder.objects.filter(incident=incident).count() == 2
    assert "X-1001" in page.locator("#content-main").inner_text()
    with page.expect_navigation():
        page.locator("input[name=action][value=invite] + p button").click()
    screenshot("admin-affected-orders")
    [invitation] = [m for m in mail.outbox if EMAIL in m.to]
    claim_path = re.search(r"/claims/new/\?incident=\d+", invitation.body).group(0)
    page.context.clear_cookies()

    # The user signs up with the invited address and opens the link from the mail.
    sign_up(page, EMAIL, PASSWORD)
    page.goto(server.url + claim_path)

    # Their own failed order is offered (nobody else's); choosing it fills the trade fields.
    orders = page.locator("#your-orders")
    assert "ETH" in orders.inner_text() and "BTC" not in orders.inner_text()
    with page.expect_navigation():
        orders.get_by_role("link").first.click()
    assert page.input_value("#id_asset") == "ETH"
    assert page.input_value("#id_side") == "sell"
    assert page.input_value("#id_quantity") == "1.25"
    assert page.input_value("#id_intended_price_krw") == "5100000"
    assert page.input_value("#id_intended_at") == attempted
    page.fill("#id_amount_claimed_krw", "120000")
    page.fill("#id_description", "장애로 매도 주문이 거부되었습니다.")
    page.select_option("#id_payout_method", "bank")
    page.fill("#id_payout_account", "신한은행 110-123-456789")
    page.set_input_files(
        f"#id_doc_{requirement.pk}", files=[{"name": "order.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    screenshot("portal-claim-form-from-order-log")
    page.click("#claim-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/claims/\d+/$"))
    claim = Claim.objects.get(claimant__email=EMAIL)
    assert (claim.asset, claim.side, claim.intended_price_krw) == ("ETH", "sell", 5_100_000)
    assert str(claim.quantity.normalize()) == "1.25"
