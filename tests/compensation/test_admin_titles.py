"""Issue #14: our admin pages carry our own titles, not Django's generic Korean ones.

Django's catalog pastes the model name into a phrase ("보기위한 보상 신청 를(을) 선택", "뷰 보상 신청");
every ModelAdmin of ours mixes in `PlainTitlesMixin`, and the incident page's state changes read
"탐지 → 공지 게시 (notice_posted) — 2025-…" instead of "2: ∅ → detected".
"""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation

from compensation.models import ClaimState
from incidents.admin.titles import PlainTitlesMixin
from tests.factories import ComplianceFactory, SupervisorFactory, UserFactory

OUR_APPS = {"incidents", "compensation"}
DJANGO_TITLES = ("Select %s", "Select %s to change", "Select %s to view", "Add %s", "Change %s", "View %s")


def our_admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in OUR_APPS
    ]


def korean_client(user):
    client = Client(headers={"accept-language": "ko"})
    client.force_login(user)
    return client


def django_titles(model):
    with translation.override("ko"):
        return [
            translation.gettext(phrase) % name
            for phrase in DJANGO_TITLES
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural)
        ]


def headings(page):
    """The page's <title> and <h1> texts: where Django's generic title would show."""
    found = re.findall(r"<title>(.*?)</title>", page, re.S) + re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return " | ".join(found)


def test_every_admin_of_ours_sets_its_own_titles():
    missing = [
        type(model_admin).__name__ for _, model_admin in our_admins() if not isinstance(model_admin, PlainTitlesMixin)
    ]
    assert our_admins() and missing == []


@pytest.mark.django_db
def test_no_admin_list_of_ours_shows_djangos_generic_korean_title():
    users = [UserFactory(is_staff=True, is_superuser=True), SupervisorFactory(), ComplianceFactory()]
    for model, _ in our_admins():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for user in users:
            response = korean_client(user).get(url)
            if response.status_code != 200:
                continue
            page = response.content.decode()
            heading = headings(page)
            assert not [t for t in django_titles(model) if t in heading], (url, user, heading)
            assert "를(을)" not in page and "보기위한" not in page, url


def test_claim_pages_read_as_our_titles(world):
    claim = world.claim_in(ClaimState.DECIDED)
    client = korean_client(world.supervisor)
    queue = client.get(reverse("admin:compensation_claim_changelist") + "?queue=all").content.decode()
    assert "<h1>보상 신청 목록</h1>" in queue and "보기위한" not in queue
    assert "(으)로" not in queue  # Django's filter headings: "상태 (으)로"
    case = client.get(reverse("admin:compensation_claim_change", args=[claim.pk])).content.decode()
    assert "<h1>보상 신청 상세</h1>" in case and "뷰 보상 신청" not in case


def test_incident_state_changes_read_with_their_labels(world):
    page = korean_client(world.supervisor).get(reverse("admin:incidents_incident_change", args=[world.incident.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "detected → notice_posted" not in body  # the row's str was "1: detected → notice_posted"
    assert "탐지 → 공지 게시 (notice_posted) — 2025-01-20 " in body


def test_first_incident_event_reads_without_an_empty_set_sign(world):
    event = world.incident.events.order_by("pk").first()
    event.from_state = ""
    with translation.override("ko"):
        assert str(event).startswith("공지 게시 (notice_posted) — 2025-01-20 ")
