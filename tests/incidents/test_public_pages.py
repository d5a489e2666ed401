from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents import services
from tests.factories import IncidentFactory

from .conftest import incident_in, kst


@pytest.fixture
def published(compliance):
    incident = IncidentFactory(title="KRW 주문 장애")
    with time_machine.travel(kst(2025, 1, 20, 11), tick=False):
        services.notice_publish(incident=incident, actor=compliance)
        services.notice_revise(
            incident=incident,
            actor=compliance,
            change_summary="보상 한도 상향",
            compensation_criteria="차액 × 수량, 1건당 최대 1,000만원",
        )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def during_intake():
    with time_machine.travel(kst(2025, 1, 25, 10), tick=False):
        yield


@pytest.mark.django_db
def test_front_page_is_korean_by_default(client, published, during_intake):
    page = client.get("/").content.decode()
    assert '<html lang="ko">' in page
    assert "전산장애 공지" in page
    assert "KRW 주문 장애" in page
    assert "접수 중" in page


@pytest.mark.django_db
def test_front_page_in_english_by_accept_language(client, published, during_intake):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Outage notices" in page
    assert "Claims open" in page


@pytest.mark.django_db
def test_language_switch_changes_the_pages_to_english_and_back(client, published, during_intake):
    detail = reverse("incidents:detail", args=[published.pk])
    response = client.post("/i18n/setlang/", {"language": "en", "next": detail})
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "Incident details (사고내용)" in page
    assert "Claims are being accepted." in page

    client.post("/i18n/setlang/", {"language": "ko", "next": detail})
    page = client.get(detail).content.decode()
    assert "보상 신청을 받고 있습니다." in page
    assert "보상신청 방법·절차" in page


@pytest.mark.django_db
def test_detail_shows_the_current_notice_intake_and_how_to_claim(client, published, during_intake):
    page = client.get(reverse("incidents:detail", args=[published.pk])).content.decode()
    assert "1,000만원" in page  # the revision, not version 1
    assert "2025-01-20 ~ 2025-02-20 23:59 (KST)" in page
    assert "로그인 후 [보상 신청] 메뉴에서" in page
    assert 'id="how-to-claim"' in page
    assert "탐지 후 1시간 55분" in page
    assert "2판" in page


@pytest.mark.django_db
def test_history_lists_versions_and_old_versions_stay_readable(client, published):
    history = client.get(reverse("incidents:notice_history", args=[published.pk])).content.decode()
    assert "변경 이력" in history
    assert "보상 한도 상향" in history
    assert reverse("incidents:notice_version", args=[published.pk, 1]) in history

    old = client.get(reverse("incidents:notice_version", args=[published.pk, 1])).content.decode()
    assert "500만원" in old
    assert "1,000만원" not in old
    assert "1판은 이후 개정되었습니다" in old


@pytest.mark.django_db
def test_after_intake_the_notice_says_claims_are_closed(client, published):
    with time_machine.travel(kst(2025, 2, 21, 0, 1), tick=False):
        page = client.get(reverse("incidents:detail", args=[published.pk])).content.decode()
    assert "보상 신청 접수가 마감되었습니다." in page


@pytest.mark.django_db
def test_unpublished_and_dismissed_incidents_are_not_public(client, compliance):
    draft = IncidentFactory(title="비공개 초안")
    dismissed = incident_in("dismissed", compliance)
    assert "비공개 초안" not in client.get("/").content.decode()
    for incident in (draft, dismissed):
        assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
        assert client.get(reverse("incidents:notice_history", args=[incident.pk])).status_code == 404


@pytest.mark.django_db
def test_closed_incidents_leave_the_front_page_after_the_recent_window(client, compliance, settings):
    settings.PUBLIC_RECENT_DAYS = 30
    with time_machine.travel(kst(2025, 3, 1, 10), tick=False):
        incident = incident_in("closed", compliance)
        assert incident.title in client.get("/").content.decode()
    with time_machine.travel(kst(2025, 3, 1, 10) + timedelta(days=31), tick=False):
        assert incident.title not in client.get("/").content.decode()
        # The notice itself stays readable by its address.
        assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200
