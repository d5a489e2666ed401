"""The incident register (전자금융사고 관리대장): type, stage, action and impact of every incident."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from compensation.models import ClaimState
from compensation.selectors import incident_register
from tests.factories import IncidentFactory

KST = ZoneInfo("Asia/Seoul")
REGISTER = "admin:compensation_incident_register"


def _row_cells(page, title):
    """The text of each cell in the register row that names `title`."""
    at = page.index(f">{title}</a>")
    row = page[page.rindex("<tr>", 0, at) : page.index("</tr>", at)]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.supervisor)
    return client


def test_each_incident_carries_its_claims_and_money(world):
    world.claim_in(ClaimState.PAID)  # decided 200,000, paid 200,000
    world.claim_in(ClaimState.OBJECTED, claimant=world.other_user)  # decided 200,000, one objection
    quiet = IncidentFactory(title="조용한 장애", started_at=datetime(2024, 6, 1, 9, tzinfo=KST))
    rows = {incident.pk: incident for incident in incident_register()}
    busy = rows[world.incident.pk]
    assert (busy.claims_total, busy.claims_open) == (2, 1)
    assert (busy.decided, busy.on_time, busy.objections) == (2, 2, 1)
    assert (busy.approved_krw, busy.paid_krw) == (400_000, 200_000)
    idle = rows[quiet.pk]
    assert (idle.claims_total, idle.approved_krw, idle.paid_krw, idle.objections) == (0, 0, 0, 0)


def test_the_register_is_one_query_however_many_incidents(world, django_assert_num_queries):
    IncidentFactory.create_batch(5)
    world.claim_in(ClaimState.DECIDED)
    with django_assert_num_queries(1):
        assert len(list(incident_register())) == 6


def test_filters_by_kst_year_and_type(world):
    # 2024-12-31 16:00 UTC is already 2025-01-01 in Korea.
    new_year = IncidentFactory(title="새해 장애", started_at=datetime(2024, 12, 31, 16, tzinfo=ZoneInfo("UTC")))
    login = IncidentFactory(
        title="로그인 장애", incident_type="login_failure", started_at=datetime(2024, 3, 1, 9, tzinfo=KST)
    )
    assert {i.pk for i in incident_register(year=2025)} == {world.incident.pk, new_year.pk}
    assert [i.pk for i in incident_register(incident_type="login_failure")] == [login.pk]


def test_the_page_shows_stage_action_and_impact_and_paginates(world, staff_client):
    world.claim_in(ClaimState.DECIDED)
    IncidentFactory.create_batch(50, started_at=datetime(2023, 5, 1, 9, tzinfo=KST))
    response = staff_client.get(reverse(REGISTER), headers={"accept-language": "en"})
    page = response.content.decode()
    assert response.status_code == 200
    assert world.incident.title in page  # newest first: on page 1 of 2
    assert reverse("admin:compensation_incident_dashboard", args=[world.incident.pk]) in page
    # The incident's own row (the type filter always lists "Order failure", the other rows last 2:00 too).
    cells = _row_cells(page, world.incident.title)
    assert cells[2:5] == ["Order failure · Major", "Notice posted", "2:00"]  # type, stage, outage
    assert cells[7] == "1 (1)"  # claims (open: decided is not final)
    assert cells[-2:] == ["200,000", "0"]  # approved, paid
    assert "Page 1 of 2" in page
    second = staff_client.get(reverse(REGISTER), {"page": 2}).content.decode()
    assert world.incident.title not in second


def test_a_bad_filter_is_shown_and_ignored(world, staff_client):
    response = staff_client.get(reverse(REGISTER), {"year": "20x5"}, headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
    assert world.incident.title in response.content.decode()


def test_csv_export_follows_the_filters(world, staff_client):
    world.claim_in(ClaimState.PAID)
    IncidentFactory(title="작년 장애", started_at=datetime(2024, 2, 1, 9, tzinfo=KST))
    response = staff_client.get(reverse("admin:compensation_incident_register_csv"), {"year": 2025})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["title"] for row in rows] == [world.incident.title]
    row = rows[0]
    assert row["started_at_kst"] == "2025-01-20 09:00"
    assert row["outage_duration_hm"] == "2:00"
    assert row["stage"] == "notice_posted"
    assert (row["claims"], row["approved_krw"], row["paid_krw"]) == ("1", "200000", "200000")
    assert row["root_cause"] == world.incident.root_cause


def test_the_dashboard_is_the_incident_report(world, staff_client):
    incident = world.incident
    page = staff_client.get(
        reverse("admin:compensation_incident_dashboard", args=[incident.pk]), headers={"accept-language": "en"}
    ).content.decode()
    assert incident.root_cause in page and incident.actions_taken in page
    assert "1,200" in page  # estimated affected users
    delay = incident.notice_first_posted_at - incident.detected_at
    assert f"{int(delay.total_seconds() // 3600)}:" in page
    assert "v1" in page  # the published notice version
    assert reverse(REGISTER) in page


def test_claimants_cannot_open_the_register(world, client):
    client.force_login(world.claimant)
    response = client.get(reverse(REGISTER))
    assert response.status_code in (302, 403)
    assert world.incident.title not in response.content.decode()


def test_hours_minutes_formats_long_outages():
    from compensation.formatting import hours_colon_minutes

    assert hours_colon_minutes(timedelta(days=1, hours=3, minutes=5, seconds=59)) == "27:05"
    assert hours_colon_minutes(None) == ""


def test_the_incident_admin_page_links_to_its_compensation_work(world, staff_client):
    page = staff_client.get(
        reverse("admin:incidents_incident_change", args=[world.incident.pk]), headers={"accept-language": "en"}
    ).content.decode()
    for name in ("compensation_incident_dashboard", "compensation_affected_orders", "compensation_market_prices"):
        assert reverse(f"admin:{name}", args=[world.incident.pk]) in page
