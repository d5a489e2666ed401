"""Issue 12, case 2: on time is measured when the decision notice went out, against the statutory date.

All claims are filed Wed 2025-01-22 10:00 KST: statutory date 2025-02-18 (15 영업일, 설 연휴 skipped);
day 25 is 2025-03-05. The report is read on 2025-03-06. One data set feeds the selector, the
dashboard, the SLA page, the register and both CSVs; they must all show the same numbers.
"""

import csv
import io

import pytest
from django.urls import reverse

from compensation import services

CONSENT = "claimant_consent"


@pytest.fixture
def sla_world(world, at):
    w = world
    on_time = w.submit()
    drafted_early_sent_late = w.submit(actor=w.other_user)
    extended = w.submit(actor=w.agent2)  # any account may claim; the agent2 here is just a third claimant
    still_open = w.submit(actor=w.supervisor2)
    withdrawn = w.submit(actor=w.claimant, policy=_other_policy(w))
    for claim in (on_time, drafted_early_sent_late, extended, still_open):
        services.claim_start_review(claim=claim, actor=w.agent)
    services.claim_withdraw(claim=withdrawn, actor=w.claimant)

    at(2025, 1, 23, 11)  # day 1: decided and notified
    services.claim_decide(claim=on_time, actor=w.agent, approved=True, amount_krw=100_000, reasons="차액")
    at(2025, 1, 24, 9)  # the claimant objects; round 1 is due 15 영업일 later (2025-02-20)
    services.claim_object(claim=on_time, actor=w.claimant, reason="부족")
    at(2025, 2, 3, 10)
    services.claim_start_review(claim=on_time, actor=w.agent2)
    services.objection_decide(claim=on_time, actor=w.agent2, approved=True, amount_krw=150_000, reasons="재산정")

    at(2025, 2, 10, 10)  # before the statutory date, with the claimant's consent: to 30 영업일 (2025-03-12)
    services.claim_extend_review(
        claim=extended, actor=w.supervisor, business_days=30, reason="로그 분석 동의", ground=CONSENT
    )
    at(2025, 2, 17, 15)  # day 14: drafted above the four-eyes limit …
    services.claim_decide(
        claim=drafted_early_sent_late, actor=w.supervisor, approved=True, amount_krw=2_000_000, reasons="산정"
    )
    at(2025, 3, 5, 15)  # … approved, and only then notified, on day 25
    services.decision_approve(decision=drafted_early_sent_late.decisions.get(), actor=w.supervisor2)
    services.claim_decide(claim=extended, actor=w.agent, approved=True, amount_krw=50_000, reasons="차액")
    at(2025, 3, 6, 10)
    return w


def _other_policy(w):
    from tests.compensation.factories import PolicyFactory

    return PolicyFactory(damage_type="fee")


EXPECTED_REVIEW = {"decided": 3, "on_time": 1, "extended": 1, "late": 1, "open_overdue": 1}
EXPECTED_OBJECTION = {"decided": 1, "on_time": 1, "extended": 0, "late": 0, "open_overdue": 0}


def _cells(counts, pct):
    late = lambda n: f'<td class="num{" late" if n else ""}">{n}</td>'  # noqa: E731
    return (
        f'<td class="num">{counts["decided"]}</td><td class="num">{counts["on_time"]}</td>'
        f'<td class="num">{counts["extended"]}</td>{late(counts["late"])}{late(counts["open_overdue"])}'
        f'<td class="num">{pct}</td>'
    )


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_review_sla_measures_the_notice_against_the_statutory_date(sla_world):
    from compensation.selectors import objection_review_sla, review_sla

    assert review_sla() == EXPECTED_REVIEW
    assert review_sla(incident=sla_world.incident) == EXPECTED_REVIEW
    assert objection_review_sla() == EXPECTED_OBJECTION


def test_dashboard_sla_page_register_and_csvs_show_the_review_sla_numbers(sla_world, client):
    from compensation.selectors import objection_review_sla, review_sla

    review, objection = review_sla(), objection_review_sla()
    assert review == EXPECTED_REVIEW
    client.force_login(sla_world.supervisor)
    incident = sla_world.incident

    dashboard = client.get(reverse("admin:compensation_incident_dashboard", args=[incident.pk])).content.decode()
    assert _cells(review, "25.0%") in dashboard  # 1 on time of 4 owed (3 decided + 1 open past the date)
    assert _cells(objection, "100.0%") in dashboard

    sla_page = client.get(reverse("admin:compensation_sla")).content.decode()
    assert _cells(review, "25.0%") + _cells(objection, "100.0%") in sla_page

    register = client.get(reverse("admin:compensation_incident_register")).content.decode()
    assert '1 / 3 (1, <span class="late">1</span>, <span class="late">1</span>) 25.0%' in register

    [row] = [
        r
        for r in _csv(client, reverse("admin:compensation_incident_register_csv"))
        if r["incident_id"] == str(incident.pk)
    ]
    for key, value in review.items():
        assert row[key] == str(value) and row[f"objection_{key}"] == str(objection[key])

    sla_rows = _csv(client, reverse("admin:compensation_sla_csv"))
    for row in sla_rows:
        for key, value in review.items():
            assert row[key] == str(value) and row[f"objection_{key}"] == str(objection[key])
    assert sla_rows[-1]["title"] == "total" and sla_rows[-1]["on_time_pct"] == "25.0"


def test_a_claim_that_is_withdrawn_or_not_yet_due_is_not_counted(world):
    from compensation.selectors import review_sla

    world.submit()
    assert review_sla() == {"decided": 0, "on_time": 0, "extended": 0, "late": 0, "open_overdue": 0}
