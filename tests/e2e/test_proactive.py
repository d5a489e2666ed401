"""Compensation without a claim, in the browser: staff import the exchange's logs, compute a batch, a
different supervisor approves, it is issued; one user signs up with the account link and accepts,
another objects; the credit file lists the accepted one; a user who filed a claim is paid once."""

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from compensation import services
from compensation.models import (
    BatchLine,
    BatchState,
    Claim,
    ClaimOrigin,
    ClaimState,
    CompensationBatch,
    ExchangeAccount,
    LineOutcome,
)
from tests.compensation.factories import PolicyFactory, open_incident, submit_kwargs
from tests.factories import SupervisorFactory, UserFactory

pytestmark = pytest.mark.e2e
KST = ZoneInfo("Asia/Seoul")


def _upload(page, log, text):
    page.select_option("select[name=log]", log)
    page.set_input_files("input[type=file]", files=[{"name": f"{log}.csv", "mimeType": "text/csv", "buffer": text}])
    with page.expect_navigation():
        page.locator("form[enctype] input[type=submit]").click()


def _press(page, action):
    with page.expect_navigation():
        page.locator(f"form:has(input[name=action][value={action}]) button").click()


def test_a_batch_from_the_logs_is_approved_by_another_supervisor_issued_accepted_objected_and_credited(
    server, page, login, sign_up, screenshot
):
    policy = PolicyFactory()
    incident = open_incident()
    at = (incident.started_at + timedelta(minutes=30)).astimezone(KST).strftime("%Y-%m-%d %H:%M")
    after = (incident.ended_at + timedelta(minutes=1)).astimezone(KST).strftime("%Y-%m-%d %H:%M")
    preparer, approver = SupervisorFactory(), SupervisorFactory()
    services.market_prices_import(
        incident=incident, actor=preparer, csv_text=f"asset,traded_at,price_krw\nBTC,{after},101000000\n"
    )
    # A user who already filed a claim, whose exchange account staff verified on the phone.
    filer = UserFactory()
    filed = services.claim_submit(actor=filer, **submit_kwargs(incident=incident, policy=policy))

    # The preparer imports the account list and the order log on the incident's page.
    login(page, preparer)
    page.goto(f"{server.url}/admin/compensation/claim/reports/incident/{incident.pk}/")
    page.locator("#content-main").get_by_role("link", name=re.compile("신청 없는 보상|without a claim")).click()
    _upload(
        page, "accounts", b"account_id,email\nA-1,one@exchange.test\nA-2,two@exchange.test\nA-3,three@exchange.test\n"
    )
    services.exchange_account_link_by_staff(
        account=ExchangeAccount.objects.get(account_id="A-3"),
        user=filer,
        actor=preparer,
        identity_check="전화 본인확인",
    )
    bad = f"order_id,account_id,asset,side,quantity,price_krw,attempted_at\nO-1,Z-9,BTC,buy,0.01,100000000,{at}\n"
    _upload(page, "orders", bad.encode())
    assert "Z-9" in page.locator(".errorlist").inner_text()  # line-numbered, nothing imported
    orders = (
        "order_id,account_id,asset,side,quantity,price_krw,attempted_at\n"
        f"O-1,A-1,BTC,buy,0.01,100000000,{at}\n"
        f"O-2,A-2,BTC,buy,0.02,100000000,{at}\n"
        f"O-3,A-3,BTC,buy,0.03,100000000,{at}\n"
    )
    _upload(page, "orders", orders.encode())
    _press(page, "create")
    _press(page, "compute")
    assert page.locator("#batch-total").inner_text() == "30,000"  # A-3 merged into the filed claim
    # The preparer may not approve: the page offers no approval to them (permissions.BATCH_ACTIONS).
    assert page.locator("form:has(input[name=action][value=approve])").count() == 0
    assert page.locator("#batch-waiting").is_visible()
    assert page.locator("#batch-state").inner_text() != BatchState.APPROVED.label
    screenshot("admin-batch-computed")
    batch_url = page.url

    # A different supervisor approves; the batch is issued.
    page.context.clear_cookies()
    login(page, approver)
    page.goto(batch_url)
    _press(page, "approve")
    _press(page, "issue")
    batch = CompensationBatch.objects.get()
    assert batch.state == BatchState.ISSUED and batch.approved_by == approver
    assert BatchLine.objects.get(account_id="A-3").outcome == LineOutcome.FILED_CLAIM
    screenshot("admin-batch-issued")

    def link_from_mail(address):
        [message] = [m for m in mail.outbox if address in m.to]
        return server.url + re.search(r"/claims/account/link/\S+/", message.body).group(0)

    # The first user signs up, opens the link from the mail to the exchange's address, and accepts.
    page.context.clear_cookies()
    sign_up(page, "kim.minji@example.com", "Outage-Claim-2025!")
    page.goto(link_from_mail("one@exchange.test"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.locator("main table a").first.click()
    assert "10,000" in page.locator("main").inner_text()
    page.check("#id_confirm")
    with page.expect_navigation():
        page.click("form[action$='/accept/'] button[type=submit]")
    one = Claim.objects.get(exchange_account__account_id="A-1")
    assert one.state == ClaimState.ACCEPTED and one.claimant.email == "kim.minji@example.com"
    screenshot("portal-proactive-accepted")

    # The second user objects.
    page.context.clear_cookies()
    sign_up(page, "lee.seojun@example.com", "Outage-Claim-2025!")
    page.goto(link_from_mail("two@exchange.test"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.locator("main table a").first.click()
    page.fill("#id_reason", "체결 가능 가격이 더 높았습니다.")
    with page.expect_navigation():
        page.click("form[action$='/object/'] button[type=submit]")
    assert Claim.objects.get(exchange_account__account_id="A-2").state == ClaimState.OBJECTED

    # The credit file lists the accepted decision only, by account id; the payment import marks it paid.
    page.context.clear_cookies()
    login(page, approver)
    response = page.request.get(f"{server.url}/admin/compensation/claim/reports/credits.csv")
    rows = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))
    assert [(row["claim_number"], row["account_id"], row["amount_krw"]) for row in rows] == [
        (one.number, "A-1", "10000")
    ]
    result = services.payments_import(actor=approver, csv_text=response.text())
    assert result.errors == [] and Claim.objects.get(pk=one.pk).state == ClaimState.PAID
    # The user who filed has one claim for this damage: the proactive amount is the floor of its decision.
    assert list(Claim.objects.filter(claimant=filer).values_list("pk", "origin")) == [(filed.pk, ClaimOrigin.FILED)]
