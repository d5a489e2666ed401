"""Issue #14: the claim queue fits a 1280 px screen: state, assignee, deadline and days left are visible
without scrolling sideways, and a claim number stays on one line."""

import pytest

from compensation import services
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory, open_incident, submit_kwargs
from tests.factories import AgentFactory, SupervisorFactory, UserFactory

pytestmark = pytest.mark.e2e

VISIBLE_COLUMNS = ("state", "assignee_name", "next_deadline", "days_left")


def test_queue_fits_1280_pixels(server, page, login, screenshot):
    policy = PolicyFactory()
    incident = open_incident(title="거래 체결 지연 및 주문 접수 오류 — 원화 마켓 전체 (2차 장애 포함)")
    RequiredDocumentFactory(policy=policy)
    agent = AgentFactory(username="agent.long.name@exchange-support.example.com")
    for n in range(6):
        claimant = UserFactory(username=f"a.very.long.claimant.address.{n}@customer-mail.example.com")
        claim = services.claim_submit(actor=claimant, **submit_kwargs(incident=incident, policy=policy))
        if n % 2:
            services.claim_start_review(claim=claim, actor=agent)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, SupervisorFactory())
    page.goto(f"{server.url}/admin/compensation/claim/?queue=all")
    screenshot("admin-queue-1280")
    # Within the screen and within the results panel (which would scroll sideways, under the filters).
    panel = page.locator("#changelist .results").bounding_box()
    right = min(1280, panel["x"] + panel["width"])
    for column in VISIBLE_COLUMNS:
        box = page.locator(f"#result_list thead th.column-{column}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= right, (column, box, right)
    assert page.evaluate("() => document.querySelector('#changelist .results').scrollWidth") <= panel["width"] + 1
    lines = page.eval_on_selector_all(
        "#result_list tbody .field-number a", "links => links.map(a => a.getClientRects().length)"
    )
    assert len(lines) == 6 and set(lines) == {1}, lines
