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


# --- 400, 403, 404, CSRF failure, 429: our layout, both languages, nothing about the cause -------
def assert_our_bilingual_page(response, status, korean, english):
    assert response.status_code == status
    page = text(response)
    assert 'class="site-header"' in page, "our layout (header, language menu, sign-in)"
    assert korean in page and english in page
    assert page.index('lang="ko"', page.index("<main")) < page.index('lang="en"', page.index("<main"))
    assert "internal detail" not in page and "Traceback" not in page
    return page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
def test_an_unknown_address_answers_our_bilingual_404(client, language):
    response = client.get("/no-such-page/", headers={"accept-language": language})
    page = assert_our_bilingual_page(response, 404, "페이지를 찾을 수 없습니다", "Page not found")
    assert "<h1>Not Found</h1>" not in page
    assert 'href="/"' in page and 'href="/claims/"' in page  # somewhere to go from here


@pytest.mark.django_db
def test_a_refused_permission_answers_our_bilingual_403(client):
    response = client.get("/test-forbidden", headers={"accept-language": "en"})
    assert_our_bilingual_page(response, 403, "이 페이지를 열 권한이 없습니다", "You may not open this page")


@pytest.mark.django_db
def test_a_malformed_request_answers_our_bilingual_400(client):
    response = client.get("/test-malformed", headers={"accept-language": "ko"})
    assert_our_bilingual_page(response, 400, "요청을 처리할 수 없습니다", "The request could not be read")


@pytest.mark.django_db
def test_a_host_we_do_not_serve_answers_the_400_page_not_an_error(client):
    response = client.get("/", headers={"host": "attacker.example"})
    assert_our_bilingual_page(response, 400, "요청을 처리할 수 없습니다", "The request could not be read")


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_answers_the_bilingual_csrf_page():
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "ko"})
    response = client.post("/accounts/login/", {"login": "kim@example.com", "password": "x"})
    page = assert_our_bilingual_page(response, 403, "양식의 유효 시간이 지났습니다", "The form has expired")
    assert "reload the page" in page and "CSRF verification failed" not in page


@pytest.mark.django_db
def test_too_many_reset_requests_answer_the_bilingual_429_page():
    client = Client(headers={"accept-language": "ko"})
    responses = [client.post("/accounts/password/reset/", {"email": "flood@example.com"}) for _ in range(7)]
    assert responses[-1].status_code == 429
    assert_our_bilingual_page(responses[-1], 429, "시도가 너무 많습니다", "Too many attempts")
