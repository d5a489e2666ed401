"""A compliance officer records an incident, writes and publishes its notice; the public sees it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentState
from tests.compensation.factories import ensure_policy
from tests.factories import ComplianceFactory

pytestmark = pytest.mark.e2e


def test_staff_publishes_a_notice_and_the_public_page_shows_it(server, staff_page, page, screenshot):
    officer = ComplianceFactory(username="officer@demo.test")
    ensure_policy("order_failure")  # a notice needs an active policy for the incident's type
    staff_page(officer)
    started = timezone.localtime() - timedelta(hours=3)
    detected = started + timedelta(minutes=10)

    # 1. Record the incident (the admin form calls services.incident_create).
    page.goto(f"{server.url}/admin/incidents/incident/add/")
    page.fill("#id_title", "E2E 주문 체결 장애")
    page.select_option("#id_incident_type", "order_failure")
    page.select_option("#id_severity", "major")
    page.fill("#id_affected_services", "KRW 마켓 주문")
    page.fill("#id_started_at_0", started.strftime("%Y-%m-%d"))
    page.fill("#id_started_at_1", started.strftime("%H:%M:%S"))
    page.fill("#id_detected_at_0", detected.strftime("%Y-%m-%d"))
    page.fill("#id_detected_at_1", detected.strftime("%H:%M:%S"))
    page.click("input[name=_continue]")
    page.wait_for_url("**/change/")
    incident = Incident.objects.get(title="E2E 주문 체결 장애")
    assert incident.state == IncidentState.DETECTED

    # 2. Write the four sections, preview, publish.
    page.click(f"a[href='/admin/incidents/incident/{incident.pk}/notice/']")
    page.fill("#id_description", "KRW 마켓 주문이 약 1시간 동안 체결되지 않았습니다.")
    page.fill("#id_claim_procedure", "로그인 후 [보상 신청]에서 신청서를 작성해 주십시오.")
    page.fill("#id_intake_period_note", "사고 다음 날부터 1개월간 접수합니다.")
    page.fill("#id_compensation_criteria", "차액 × 수량, 1건당 최대 500만 원.")
    page.click("input[name=_preview]")
    preview = page.frame_locator("iframe.notice-preview")
    assert "1시간 동안 체결되지" in preview.locator("article").inner_text(timeout=5000)
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.DETECTED
    screenshot("admin-notice-preview")

    page.click("input[name=_publish]")
    page.wait_for_url(f"**/admin/incidents/incident/{incident.pk}/change/")
    assert page.locator(".messagelist .success").count() == 1
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOTICE_POSTED

    # 3. The public, without logging in, on a phone.
    public = page.context.browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    phone = public.new_page()
    phone.goto(f"{server.url}/")
    phone.click("text=E2E 주문 체결 장애")
    body = phone.locator("main").inner_text()
    assert "1시간 동안 체결되지" in body
    assert "보상 신청을 받고 있습니다." in body
    assert "로그인 후 [보상 신청]" in body
    # Nothing overflows sideways on a 390 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(screenshot("admin-notice-published").parent / "public-notice-phone.png"), full_page=True)
    public.close()
