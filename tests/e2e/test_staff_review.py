"""An agent decides a claim in the admin, a second supervisor approves it, the claimant reads it."""

import pytest
from allauth.account.models import EmailAddress

from compensation import services
from compensation.models import Claim, ClaimState
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory, open_incident, submit_kwargs
from tests.factories import AgentFactory, SupervisorFactory, UserFactory

pytestmark = pytest.mark.e2e
PASSWORD = "pw-Secret-123"


def test_agent_decides_supervisor_approves_claimant_sees_decision(server, browser, login, screenshot):
    policy = PolicyFactory()
    incident = open_incident()
    RequiredDocumentFactory(policy=policy)
    claimant = UserFactory(username="claimant@demo.test", email="claimant@demo.test")
    EmailAddress.objects.create(user=claimant, email=claimant.email, verified=True, primary=True)
    claim = services.claim_submit(actor=claimant, **submit_kwargs(incident=incident, policy=policy))
    agent = AgentFactory(username="agent@demo.test")
    supervisor = SupervisorFactory(username="supervisor@demo.test")
    case_url = f"{server.url}/admin/compensation/claim/{claim.pk}/change/"

    # The agent starts the review and decides above the four-eyes limit.
    agent_page = browser.new_context(locale="ko-KR").new_page()
    login(agent_page, agent)
    agent_page.goto(case_url)
    agent_page.click(f"a[href='/admin/compensation/claim/{claim.pk}/act/start_review/']")
    agent_page.click("input[type=submit]")
    agent_page.wait_for_url(case_url)
    agent_page.click(f"a[href='/admin/compensation/claim/{claim.pk}/act/decide/']")
    agent_page.check("input[name=approved][value=yes]")
    agent_page.fill("#id_amount_krw", "1500000")
    agent_page.fill("#id_reasons", "주문 로그 기준 체결 가능 가격과의 차액을 보상합니다.")
    agent_page.click("input[type=submit]")
    agent_page.wait_for_url(case_url)
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.AWAITING_APPROVAL
    # The decider has no approve button for their own decision.
    assert agent_page.locator(f"a[href='/admin/compensation/claim/{claim.pk}/act/approve/']").count() == 0

    # A supervisor approves.
    supervisor_page = browser.new_context(locale="ko-KR").new_page()
    login(supervisor_page, supervisor)
    supervisor_page.goto(case_url)
    supervisor_page.click(f"a[href='/admin/compensation/claim/{claim.pk}/act/approve/']")
    supervisor_page.click("input[type=submit]")
    supervisor_page.wait_for_url(case_url)
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED

    # The claimant signs in to the portal and reads 보상여부, 금액, 지급예정일 and the reasons.
    portal = browser.new_context(locale="ko-KR").new_page()
    portal.goto(f"{server.url}/accounts/login/")
    portal.fill("input[name=login]", claimant.email)
    portal.fill("input[name=password]", PASSWORD)
    portal.press("input[name=password]", "Enter")
    portal.wait_for_url(lambda url: "/accounts/login/" not in url)
    portal.goto(f"{server.url}/claims/{claim.pk}/")
    body = portal.locator("main").inner_text()
    assert "1,500,000" in body
    assert "차액을 보상합니다" in body
    decision = Claim.objects.get(pk=claim.pk).decisions.get(status="in_force")
    assert decision.pay_on.strftime("%Y-%m-%d") in body
