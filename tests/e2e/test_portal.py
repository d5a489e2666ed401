"""A claimant signs up, confirms the email, files a claim, follows it, objects twice, is told why not a third."""

import re

import pytest

from compensation import services
from compensation.models import Claim, ClaimState
from tests.compensation.factories import PNG_BYTES, PolicyFactory, RequiredDocumentFactory, open_incident
from tests.factories import AgentFactory, SupervisorFactory

pytestmark = pytest.mark.e2e
EMAIL = "kim.minji@example.com"
PASSWORD = "Outage-Claim-2025!"
PHONE = {"width": 390, "height": 844}


def test_claimant_signs_up_files_a_claim_and_objects_twice(server, page, sign_up, screenshot):
    policy = PolicyFactory()
    incident = open_incident()
    requirement = RequiredDocumentFactory(policy=policy, name="주문 화면 캡처")
    page.set_viewport_size(PHONE)

    # Sign up with an email address; the account works only after the emailed link is opened.
    sign_up(page, EMAIL, PASSWORD)

    # File the claim: one document per requirement, order details for a price-difference policy.
    page.goto(f"{server.url}/claims/new/?incident={incident.pk}")
    assert policy.criteria in page.locator("main").inner_text()
    page.fill("#id_amount_claimed_krw", "350000")
    page.fill("#id_description", "09:10 매수 주문이 접수되지 않았습니다.")
    page.fill("#id_asset", "BTC")
    page.select_option("#id_side", "buy")
    page.fill("#id_quantity", "0.005")
    page.fill("#id_intended_price_krw", "70000000")
    page.select_option("#id_payout_method", "bank")
    page.fill("#id_payout_account", "국민은행 123-456-789")
    # First a program renamed to .png: refused by content, and nothing typed is lost.
    page.set_input_files(
        f"#id_doc_{requirement.pk}",
        files=[{"name": "order.png", "mimeType": "image/png", "buffer": b"MZ\x90\x00" + b"\x00" * 64}],
    )
    with page.expect_navigation():
        page.click("#claim-form button[type=submit]")
    assert page.locator("#form-errors").is_visible()
    assert "order.png" in page.locator("#form-errors").inner_text()
    assert page.input_value("#id_amount_claimed_krw") == "350000"
    assert page.input_value("#id_payout_account") == "국민은행 123-456-789"
    screenshot("portal-claim-form-refused-phone")
    page.set_input_files(
        f"#id_doc_{requirement.pk}", files=[{"name": "order.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    screenshot("portal-claim-form-phone")
    page.click("#claim-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/claims/\d+/$"))
    claim = Claim.objects.get(claimant__email=EMAIL)
    assert claim.documents.count() == 1

    # The list shows it with its review due date (KST, end of day).
    page.goto(f"{server.url}/claims/")
    row = page.locator("tbody tr", has_text=claim.number)
    assert claim.review_due_on.isoformat() in row.inner_text()
    screenshot("portal-claim-list-phone")

    # Staff decide through the services; the claimant objects from the claim page, twice.
    agent, agent2, supervisor = AgentFactory(), AgentFactory(), SupervisorFactory()
    services.claim_start_review(claim=claim, actor=agent)
    services.claim_decide(claim=claim, actor=agent, approved=True, amount_krw=200_000, reasons="체결 가능가 기준 차액")
    for round_no, reviewer, amount in ((1, supervisor, 220_000), (2, agent2, 230_000)):
        page.goto(f"{server.url}/claims/{claim.pk}/")
        assert page.locator("#object-title").is_visible()
        page.fill("#id_reason", f"{round_no}차 이의: 금액이 실제 손해보다 적습니다.")
        with page.expect_navigation():
            page.click("form[action$='/object/'] button[type=submit]")
        assert Claim.objects.get(pk=claim.pk).state == ClaimState.OBJECTED
        services.claim_start_review(claim=claim, actor=reviewer)
        services.objection_decide(
            claim=claim, actor=reviewer, approved=True, amount_krw=amount, reasons=f"{round_no}차 재산정"
        )

    # A third objection is not offered, and the page says why.
    page.goto(f"{server.url}/claims/{claim.pk}/")
    assert page.locator("#object-title").count() == 0
    reason = page.locator("#no-objection-reason")
    assert reason.is_visible() and "2" in reason.inner_text()
    main = page.locator("main").inner_text()
    assert "230,000" in main and "2차 재산정" in main
    screenshot("portal-claim-detail-phone")
    # What is still allowed: accepting the decision — with the keyboard only.
    page.focus("#id_confirm")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form').action").endswith("/accept/")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.ACCEPTED
