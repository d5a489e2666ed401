"""The yearly control review: the pack's sections, sign-off by compliance (frozen), PDF/CSV, charts."""

from datetime import date, timedelta

import pytest

from compensation import services
from compensation.admin.charts import Chart, Series
from compensation.admin.reports import claims_per_day_chart
from compensation.models import ClaimState, ControlReview, InsurancePolicy
from compensation.selectors.control_review import control_review_pack
from incidents import services as incident_services
from incidents.errors import DomainError, ErrorCode
from tests.factories import AgentFactory, ComplianceFactory, IncidentFactory, SupervisorFactory
from tests.pdf_checks import pdf_text, require_pdf_support

억 = 100_000_000


def _section(pack, key):
    return next(s for s in pack if s["key"] == key)


def test_the_pack_lists_dismissed_incidents_shortfalls_and_the_sla(world, at):
    officer = ComplianceFactory()
    quiet = IncidentFactory(title="영향 없는 배치 지연")
    incident_services.incident_dismiss(
        incident=quiet, actor=officer, reason="내부 정산 배치만 지연되었고 이용자 주문·입출금에는 영향이 없었음"
    )
    incident_services.incident_dismiss_approve(incident=quiet, actor=SupervisorFactory())
    InsurancePolicy.objects.create(
        insurer="보험사",
        policy_number="X-1",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        aggregate_limit_krw=20 * 억,
        per_incident_limit_krw=20 * 억,
    )
    services.coverage_record(actor=officer, month=date(2025, 1, 1), basis_value_krw=100 * 억, reserve_krw=0)
    world.claim_in(ClaimState.DECIDED)
    pack = control_review_pack(2025)
    assert {s["key"] for s in pack} >= {
        "sla",
        "late_notices",
        "extensions",
        "cap_overrides",
        "four_eyes",
        "holiday_edits",
        "dismissed",
        "reports",
        "coverage",
    }
    assert _section(pack, "dismissed")["rows"][0][0] == "영향 없는 배치 지연"
    assert _section(pack, "coverage")["rows"][0][:2] == ["2025-01", 10 * 억]
    assert _section(pack, "sla")["rows"][0][0] >= 1  # one first decision notified in 2025


def test_sign_off_freezes_the_figures_and_happens_once(world, at):
    officer = ComplianceFactory()
    review = services.control_review_sign_off(year=2025, actor=officer, conclusion="통제 절차 이행 적정")
    assert review.signed_off_by == officer and review.pack
    with pytest.raises(DomainError) as refused:
        services.control_review_sign_off(year=2025, actor=officer, conclusion="다시")
    assert refused.value.code == ErrorCode.DUPLICATE
    with pytest.raises(ValueError):
        review.save()


def test_only_compliance_signs_off_and_not_a_future_year(db):
    with pytest.raises(DomainError) as refused:
        services.control_review_sign_off(year=2024, actor=AgentFactory(), conclusion="x")
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError):
        services.control_review_sign_off(year=date.today().year + 1, actor=ComplianceFactory(), conclusion="x")


def test_the_review_page_shows_charts_with_tables_and_exports(client, world, at):
    officer = ComplianceFactory()
    client.force_login(officer)
    page = client.get("/admin/compensation/controlreview/?year=2025").content.decode()
    assert page.count('class="report-chart"') == 2 and page.count('class="chart-numbers"') == 2
    response = client.post(
        "/admin/compensation/controlreview/?year=2025", {"year": "2025", "conclusion": "적정"}, follow=True
    )
    assert response.status_code == 200 and ControlReview.objects.filter(year=2025).exists()
    csv = client.get("/admin/compensation/controlreview/csv/?year=2025").content.decode("utf-8-sig")
    assert "적정" in csv
    require_pdf_support()
    pdf = client.get("/admin/compensation/controlreview/pdf/?year=2025")
    assert pdf["Content-Type"] == "application/pdf" and "적정" in pdf_text(pdf.content)


def test_claims_per_day_chart_counts_each_kst_day_of_intake(world, at):
    world.claim_in(ClaimState.IN_REVIEW)
    world.incident.refresh_from_db()
    chart = claims_per_day_chart(world.incident)
    assert chart.categories[0] == f"{world.incident.incident_date:%m-%d}"
    assert sum(chart.series[0].values) == world.incident.claims.count()
    assert len(chart.categories) == (world.incident.intake_ends_on - world.incident.incident_date).days + 1


def test_svg_chart_escapes_text_and_draws_a_target_line():
    chart = Chart(
        title="<script>",
        categories=["1월", "2월"],
        series=[Series("정시", [3, 0]), Series("지연", [1, 2])],
        stacked=True,
        target=24,
        target_label="목표 24h",
    )
    svg = str(chart.svg())
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") >= 4 and "stroke-dasharray" in svg
    assert chart.rows() == [("1월", [3, 1]), ("2월", [0, 2])]


def test_a_late_notice_and_its_reason_are_in_the_pack(db):
    incident = IncidentFactory(title="늦은 공지 장애")
    incident.notice_first_posted_at = incident.detected_at + timedelta(hours=30)
    if hasattr(incident, "notice_delay_reason"):
        incident.notice_delay_reason = "야간 담당자 부재"
    incident.save()
    rows = _section(control_review_pack(incident.started_at.year), "late_notices")["rows"]
    assert rows and rows[0][0] == "늦은 공지 장애" and rows[0][3] == 30.0
