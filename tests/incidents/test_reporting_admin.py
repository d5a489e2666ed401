"""The reporting page in the admin: decide, approve by a second person, the report as PDF and CSV."""

import pytest
from django.urls import reverse

from incidents import pdf
from incidents.models import IncidentReport, ReportabilityCriterion, ReportabilityDecision
from tests.factories import AgentFactory, ComplianceFactory, IncidentFactory, SupervisorFactory
from tests.pdf_checks import pdf_text, require_pdf_support


@pytest.fixture
def incident(db):
    return IncidentFactory(title="원화 마켓 주문 장애 보고 대상")


def _page(incident):
    return reverse("admin:incidents_incident_reporting", args=[incident.pk])


def test_decide_approve_and_download_the_initial_report(client, incident):
    compliance, supervisor = ComplianceFactory(), SupervisorFactory()
    criterion = ReportabilityCriterion.objects.filter(active=True).first()
    client.force_login(compliance)
    change = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert _page(incident) in change.content.decode()
    response = client.post(
        _page(incident),
        {"action": "decide", "reportable": "yes", "met": [str(criterion.pk)], "reason": "2시간 주문 중단"},
    )
    assert response.status_code == 302
    page = client.get(_page(incident)).content.decode()
    assert "pending-decision" in page and 'value="approve"' not in page  # the decider gets no approve button

    client.force_login(supervisor)
    assert 'value="approve"' in client.get(_page(incident)).content.decode()
    assert client.post(_page(incident), {"action": "approve", "note": "동의"}).status_code == 302
    decision = ReportabilityDecision.objects.get()
    assert decision.reviewed_by == supervisor
    report = IncidentReport.objects.get()

    csv = client.get(reverse("admin:incidents_incidentreport_csv", args=[report.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "원화 마켓 주문 장애 보고 대상" in csv.content.decode("utf-8-sig")
    assert client.get(reverse("admin:incidents_incidentreport_change", args=[report.pk])).status_code == 200

    require_pdf_support()
    response = client.get(reverse("admin:incidents_incidentreport_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "원화 마켓 주문 장애 보고 대상" in pdf_text(response.content)


def test_a_refused_decision_is_a_message_not_a_500(client, incident):
    client.force_login(ComplianceFactory())
    criterion = ReportabilityCriterion.objects.filter(active=True).first()
    response = client.post(
        _page(incident),
        {"action": "decide", "reportable": "no", "met": [str(criterion.pk)], "reason": "영향 적음"},
        follow=True,
    )
    assert response.status_code == 200
    assert not ReportabilityDecision.objects.exists()
    # One error message, the refusal that names the criterion met (not any message mentioning 보고).
    shown = [(m.level_tag, criterion.text in str(m)) for m in response.context["messages"]]
    assert shown == [("error", True)]


def test_agents_see_the_page_but_cannot_decide(client, incident):
    client.force_login(AgentFactory())
    response = client.get(_page(incident))
    page = response.content.decode()
    assert response.status_code == 200 and incident.title in page  # the page itself, not a refusal
    assert "decide-form" not in page


def test_without_pdf_support_the_page_says_what_to_install(client, incident, monkeypatch):
    monkeypatch.setattr(pdf, "_weasyprint_error", lambda: "ImportError: No module named 'weasyprint'")
    monkeypatch.setattr("incidents.admin.reporting.pdf_unavailable_reason", pdf.pdf_unavailable_reason)
    client.force_login(ComplianceFactory())
    page = client.get(_page(incident)).content.decode()
    assert "apt-get install" in page and "pdf-problem" in page
