"""Issue 15: a failed request gets a page in Korean and English, never Django's bare "Server Error (500)"."""

import html

import pytest
from django.test import Client


@pytest.fixture
def client(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    return Client(raise_request_exception=False)


def text(response):
    return html.unescape(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_bug_answers_the_bilingual_500_page(client, language):
    response = client.get("/test-boom", headers={"accept-language": language})
    assert response.status_code == 500
    page = text(response)
    assert "Server Error (500)" not in page
    assert "오류가 발생했습니다" in page and "Something went wrong" in page
    assert "내 보상 신청" in page and "My claims" in page  # where to check before filing again


@pytest.mark.django_db
def test_a_database_outage_answers_503_with_retry_after(client):
    response = client.get("/test-database-down")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = text(response)
    assert "일시적으로 이용할 수 없습니다" in page and "Temporarily unavailable" in page
    assert "1분 후에 다시 시도해 주세요" in page and "try again in a minute" in page
