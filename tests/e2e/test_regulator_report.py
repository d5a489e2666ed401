"""Compliance decides an incident is reportable, a second person approves, the initial report PDF
downloads with its Korean title as text, and its first page shows Korean glyphs, not empty boxes."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from incidents import reporting
from incidents.models import IncidentReport, ReportabilityDecision, ReportKind
from tests.factories import ComplianceFactory, IncidentFactory, SupervisorFactory
from tests.pdf_checks import (
    differing_pixels,
    embedded_fonts,
    first_page_pixels,
    ink,
    pdf_text,
    require_pdf_support,
    tofu_text,
)

pytestmark = pytest.mark.e2e
TITLE = "원화 마켓 주문 체결 장애"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e-screenshots"


def test_reportable_decision_four_eyes_and_the_initial_report_pdf_in_korean(server, browser, login, screenshot, page):
    require_pdf_support()
    # Browser tests flush the database between tests, which also drops the example checklist and
    # deadline rules the data migration ships: put them back as a fresh install has them.
    importlib.import_module("incidents.migrations.0009_reporting_examples").add_examples(apps, None)
    officer = ComplianceFactory(username="officer@demo.test")
    second = SupervisorFactory(username="supervisor@demo.test")
    incident = IncidentFactory(title=TITLE)

    # 1. Compliance opens the incident and its reporting page, answers the checklist: reportable.
    login(page, officer)
    page.goto(f"{server.url}/admin/incidents/incident/{incident.pk}/change/")
    page.click("a[href*='/incidentreport/incident/']")
    page.locator("input[name=met]").first.check()
    page.check("input[name=reportable][value=yes]")
    page.fill("textarea[name=reason]", "KRW 마켓 주문이 2시간 체결되지 않음: 점검표 1번 해당")
    page.click("#decide-form input[type=submit]")
    page.wait_for_selector("#pending-decision")
    assert page.locator("button[value=approve]").count() == 0  # not for the person who decided
    screenshot("reporting-decided")

    # 2. A second person (supervisor) approves in their own session: the initial report is drafted.
    other = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", accept_downloads=True)
    try:
        second_page = other.new_page()
        login(second_page, second)
        second_page.goto(page.url)
        second_page.fill("textarea[name=note]", "동의합니다")
        second_page.click("button[value=approve]")
        second_page.wait_for_selector("#decision-in-force")
        decision = ReportabilityDecision.objects.get(incident=incident)
        assert (decision.decided_by, decision.reviewed_by, decision.reportable) == (officer, second, True)
        report = IncidentReport.objects.get(incident=incident, kind=ReportKind.INITIAL)

        # 3. The PDF downloads from the reporting page.
        with second_page.expect_download() as download_info:
            second_page.click("a.report-pdf")
        data = Path(download_info.value.path()).read_bytes()
    finally:
        other.close()

    assert data.startswith(b"%PDF")
    assert TITLE in pdf_text(data)
    assert any("CJK" in name or "Nanum" in name for name in embedded_fonts(data)), embedded_fonts(data)

    # 4. Page 1 as pixels: the same report with the Korean swapped for characters no font has
    # (always .notdef boxes) must look different; had the Korean printed as tofu, they would match.
    real = first_page_pixels(data)
    report.snapshot = {**report.snapshot, "title": tofu_text(TITLE)}
    tofu = first_page_pixels(reporting.render_report_pdf(report))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    real.save(ARTIFACTS / "initial-report-page1.png")
    tofu.save(ARTIFACTS / "initial-report-page1-tofu-reference.png")
    assert ink(real) > 2000
    changed = differing_pixels(real, tofu)
    assert changed > 300, f"only {changed} pixels differ from the all-tofu rendering"
