"""The public notice page during an outage: one rendered article per version and language, shared
from the cache; the page around it (language menu, sign-in links, CSRF token) stays per user."""

import re

from django.test import Client
from django.urls import reverse

from incidents import services as incident_services
from tests.factories import ComplianceFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def notice_url(world):
    return reverse("incidents:detail", args=[world.incident.pk])


def test_second_reader_gets_the_article_from_the_cache_without_a_query(world, django_assert_num_queries):
    first = Client().get(notice_url(world))
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = Client().get(notice_url(world))
    assert second.status_code == 200
    assert world.policy.criteria in second.content.decode()


def test_signed_in_user_language_and_csrf_token_never_reach_another_reader(world):
    signed_in = Client()
    signed_in.force_login(world.claimant)
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    anonymous_ko = Client()
    other_ko = Client()
    other_ko.force_login(world.other_user)
    anonymous_en = Client(HTTP_ACCEPT_LANGUAGE="en")

    pages = {}
    for name, client in [("signed_in", signed_in), ("anonymous_ko", anonymous_ko), ("other_ko", other_ko)]:
        pages[name] = client.get(notice_url(world)).content.decode()
    pages["anonymous_en"] = anonymous_en.get(notice_url(world)).content.decode()

    assert '<html lang="en">' in pages["signed_in"]
    assert "Sign out" in pages["signed_in"] and "Intake period" in pages["signed_in"]
    # The Korean reader after an English signed-in one: Korean article, signed out, own token.
    assert '<html lang="ko">' in pages["anonymous_ko"]
    assert "접수기간" in pages["anonymous_ko"] and "Intake period" not in pages["anonymous_ko"]
    assert "로그인" in pages["anonymous_ko"] and "로그아웃" not in pages["anonymous_ko"]
    assert "Sign out" not in pages["anonymous_ko"]
    assert f'href="{reverse("compensation:claim_list")}"' not in pages["anonymous_ko"]  # "My claims"
    # A second signed-in reader in Korean gets the Korean article from the cache with their own menu.
    assert "로그아웃" in pages["other_ko"] and "Sign out" not in pages["other_ko"]
    assert '<option value="ko" selected>' in pages["other_ko"]
    assert '<option value="en" selected>' in pages["signed_in"]
    # An anonymous English reader after the English signed-in one: English article, no sign-out.
    assert "Intake period" in pages["anonymous_en"] and "Sign out" not in pages["anonymous_en"]
    tokens = {name: set(TOKEN.findall(page)) for name, page in pages.items()}
    assert all(tokens.values())
    every = [token for found in tokens.values() for token in found]
    assert len(every) == len(set(every)), "a CSRF token was served to two readers"


def test_a_new_version_replaces_the_cached_article(world, client):
    client.get(notice_url(world))
    incident_services.notice_revise(
        incident=world.incident,
        actor=ComplianceFactory(),
        change_summary="보상 한도 상향",
        compensation_criteria="차액 × 수량, 1건당 최대 1,000만원 (개정)",
    )
    page = client.get(notice_url(world)).content.decode()
    assert "1건당 최대 1,000만원 (개정)" in page
    assert "보상 한도 상향" in page


def test_a_policy_change_reaches_the_article_with_the_revision_that_publishes_it(world, client):
    assert world.policy.criteria in client.get(notice_url(world)).content.decode()
    world.policy.criteria = "체결 실패 주문의 차액 전액 (변경)"
    world.policy.save()
    # issue 13: a published version shows the terms it was published with
    assert "체결 실패 주문의 차액 전액 (변경)" not in client.get(notice_url(world)).content.decode()
    incident_services.notice_revise(incident=world.incident, actor=ComplianceFactory(), change_summary="기준 변경")
    assert "체결 실패 주문의 차액 전액 (변경)" in client.get(notice_url(world)).content.decode()


def test_the_claim_button_goes_when_intake_closes_even_if_the_article_was_cached(world, client, at):
    claim_link = reverse("compensation:claim_new") + f"?incident={world.incident.pk}"
    at(2025, 2, 20, 23, 58)
    assert claim_link in client.get(notice_url(world)).content.decode()
    at(2025, 2, 21, 0, 0, 5)
    page = client.get(notice_url(world)).content.decode()
    assert claim_link not in page
    assert "보상 신청 접수가 마감되었습니다." in page


def test_an_unpublished_or_missing_notice_is_a_404_and_not_cached(world, client):
    assert client.get(reverse("incidents:detail", args=[world.incident.pk + 1000])).status_code == 404
    old = client.get(reverse("incidents:notice_version", args=[world.incident.pk, 7]))
    assert old.status_code == 404
