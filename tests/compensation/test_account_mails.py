"""The mails allauth sends (verification, reset, "no such account", "already signed up") read like ours.

Each one is produced by the real flow (test client → allauth → our adapter → outbox → mail), then
checked: Korean first and English below in both the text and the HTML part, the site's name in the
greeting, a sensible subject, and the link alone on its line (nothing such as "을" glued to it),
pointing at SITE_URL and answering 200 when opened.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.test import Client
from django.urls import reverse

from compensation.models import Notification
from tests.factories import UserFactory

PASSWORD = "Kimchi-Outage-2025!"
SITE = "https://compensation.example"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
URL = re.compile(r"https?://[^\s<>\"']+")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """sent(callable): run it with the outbox delivering after commit; returns the one new mail."""

    def _sent(action):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            action()
        [message] = mail.outbox[before:]
        return message

    return _sent


def korean_client():
    return Client(headers={"accept-language": "ko"})


def verified_user(email):
    user = UserFactory(email=email, username=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def html_of(message):
    [html] = [content for content, mime in message.alternatives if mime == "text/html"]
    return html


def assert_reads_like_our_mails(message, *, subject_ko, subject_en):
    """Returns the one link the mail is about, after checking both parts and the subject."""
    text, html = message.body, html_of(message)
    # Subject: the site's name, then Korean with English in brackets; one line.
    assert message.subject == f"[보상센터] {subject_ko} ({subject_en})"
    # Site name filled in (today: "안녕하세요 입니다!"), Korean first, English below, in both parts.
    for part in (text, html):
        assert "안녕하세요, 보상센터입니다." in part and "Hello from Compensation desk." in part
        assert part.index("안녕하세요") < part.index("Hello from")
        assert "안녕하세요 입니다" not in part
    korean, english = text.split("Hello from", 1)
    assert HANGUL.search(korean) and "you" in english.lower()
    html_ko = html.split('<div lang="en"', 1)[0]
    html_en = html.split('<div lang="en"', 1)[1]
    assert '<div lang="ko">' in html_ko and HANGUL.search(html_ko) and "you" in html_en.lower()
    assert not HANGUL.search(html_en.split("</div>", 1)[0]), "the English half is English"
    # Every link alone on its line in the text part; nothing (e.g. "을") glued to it.
    links = [line.strip() for line in text.splitlines() if "http" in line]
    assert links and all(URL.fullmatch(line) for line in links), links
    action = [link for link in links if link != SITE]
    assert len(set(action)) == 1 and len(action) == 2, "the link once in each language"
    url = action[0]
    assert url.startswith(SITE + "/") and url.endswith("/")
    # The HTML part points at the same link (a button and the address spelled out).
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert hrefs == {url}
    assert not re.search(rf"{re.escape(url)}[^<\"]", html) and not re.search(rf"[^>\"]{re.escape(url)}", html)
    return url


def opens(client, url, *, follow=False):
    parts = urlsplit(url)
    response = client.get(parts.path, follow=follow)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.django_db
def test_signup_verification_mail_is_bilingual_and_its_link_confirms(sent):
    client = korean_client()
    message = sent(
        lambda: client.post(
            reverse("account_signup"), {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD}
        )
    )
    url = assert_reads_like_our_mails(
        message, subject_ko="이메일 주소를 확인해 주세요", subject_en="Please confirm your email address"
    )
    assert "/accounts/confirm-email/" in url and "newbie@example.com" in message.body
    assert "3일" in message.body and "3 days" in message.body
    opens(client, url)
    response = client.post(urlsplit(url).path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    # The outbox row keeps both parts (a resend from the admin sends the same mail).
    row = Notification.objects.get(kind="account_mail", to_email="newbie@example.com")
    assert row.body_html and "보상센터입니다" in row.body_html and row.body_text == message.body


@pytest.mark.django_db
def test_new_link_asked_for_at_sign_in_reads_the_same(sent):
    user = UserFactory(email="late@example.com", username="late@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client = korean_client()
    message = sent(
        lambda: client.post(reverse("account_login"), {"login": "late@example.com", "password": "pw-Secret-123"})
    )
    url = assert_reads_like_our_mails(
        message, subject_ko="이메일 주소를 확인해 주세요", subject_en="Please confirm your email address"
    )
    opens(client, url)


@pytest.mark.django_db
def test_password_reset_mail_is_bilingual_and_its_link_opens_the_form(sent):
    verified_user("lee@example.com")
    client = korean_client()
    message = sent(lambda: client.post(reverse("account_reset_password"), {"email": "lee@example.com"}))
    url = assert_reads_like_our_mails(message, subject_ko="비밀번호 재설정 링크", subject_en="Reset your password")
    assert "/accounts/password/reset/key/" in url
    page = opens(client, url, follow=True)
    assert 'name="password1"' in page.content.decode()


@pytest.mark.django_db
def test_reset_for_an_unknown_address_says_so_in_both_languages(sent):
    client = korean_client()
    message = sent(lambda: client.post(reverse("account_reset_password"), {"email": "nobody@example.com"}))
    url = assert_reads_like_our_mails(
        message, subject_ko="이 주소로 가입된 계정이 없습니다", subject_en="No account uses this address"
    )
    assert urlsplit(url).path == reverse("account_signup")
    opens(client, url)


@pytest.mark.django_db
def test_signing_up_again_with_a_known_address_mails_a_reset_link(sent):
    verified_user("kim@example.com")
    client = korean_client()
    message = sent(
        lambda: client.post(
            reverse("account_signup"), {"email": "kim@example.com", "password1": PASSWORD, "password2": PASSWORD}
        )
    )
    url = assert_reads_like_our_mails(
        message, subject_ko="이미 가입된 주소입니다", subject_en="You already have an account"
    )
    assert urlsplit(url).path == reverse("account_reset_password")
    opens(client, url)


@pytest.mark.django_db
def test_english_visitors_get_an_english_subject_and_the_same_bilingual_body(sent):
    verified_user("en@example.com")
    client = Client(headers={"accept-language": "en"})
    message = sent(lambda: client.post(reverse("account_reset_password"), {"email": "en@example.com"}))
    assert message.subject == "[Compensation desk] Reset your password"
    assert message.body.index("안녕하세요, 보상센터입니다.") < message.body.index("Hello from Compensation desk.")


@pytest.mark.django_db
def test_links_point_at_site_url_whatever_host_the_request_named(sent, settings):
    # A forged Host header must not put its own address into a reset link.
    settings.ALLOWED_HOSTS = ["*"]
    verified_user("host@example.com")
    client = Client(headers={"accept-language": "ko"}, HTTP_HOST="attacker.example")
    message = sent(lambda: client.post(reverse("account_reset_password"), {"email": "host@example.com"}))
    assert "attacker.example" not in message.body and "attacker.example" not in html_of(message)
    assert f"{SITE}/accounts/password/reset/key/" in message.body


@pytest.mark.django_db
def test_site_name_comes_from_settings(sent, settings):
    settings.SITE_NAME, settings.SITE_NAME_EN = "코인거래소 보상센터", "Coin Exchange compensation"
    client = korean_client()
    message = sent(lambda: client.post(reverse("account_reset_password"), {"email": "x@example.com"}))
    assert message.subject.startswith("[코인거래소 보상센터] ")
    assert "안녕하세요, 코인거래소 보상센터입니다." in message.body
    assert "Hello from Coin Exchange compensation." in html_of(message)


def test_a_blank_site_name_is_refused_by_the_system_check(settings):
    from compensation.checks import site_names

    settings.SITE_NAME = " "
    assert [error.id for error in site_names(None)] == ["compensation.E003"]
    settings.SITE_NAME = "보상센터"
    assert site_names(None) == []


# --- security notices: the owner hears of every change to how the account is reached -----------
def assert_security_notice(message, *, subject_ko, subject_en, ko, en):
    url = assert_reads_like_our_mails(message, subject_ko=subject_ko, subject_en=subject_en)
    assert urlsplit(url).path == reverse("account_reset_password"), "a way to take the account back"
    for part in (message.body, html_of(message)):
        assert ko in part and en in part
        assert "IP" in part and "(한국시간)" in part and "(KST)" in part
    return url


@pytest.mark.django_db
def test_a_changed_password_is_announced_to_the_owner(sent):
    user = verified_user("owner@example.com")
    client = korean_client()
    client.force_login(user)
    message = sent(
        lambda: client.post(
            reverse("account_change_password"),
            {"oldpassword": "pw-Secret-123", "password1": PASSWORD, "password2": PASSWORD},
        )
    )
    assert message.to == ["owner@example.com"]
    url = assert_security_notice(
        message,
        subject_ko="비밀번호 변경 알림",
        subject_en="Your password was changed",
        ko="비밀번호가 변경되었습니다",
        en="was changed",
    )
    opens(Client(), url)


@pytest.mark.django_db
def test_a_password_reset_through_the_link_is_announced(sent):
    verified_user("reset@example.com")
    client = korean_client()
    link = assert_reads_like_our_mails(
        sent(lambda: client.post(reverse("account_reset_password"), {"email": "reset@example.com"})),
        subject_ko="비밀번호 재설정 링크",
        subject_en="Reset your password",
    )
    form = client.get(urlsplit(link).path, follow=True)
    message = sent(lambda: client.post(form.context["action_url"], {"password1": PASSWORD, "password2": PASSWORD}))
    assert_security_notice(
        message,
        subject_ko="비밀번호 재설정 완료",
        subject_en="Your password was reset",
        ko="비밀번호가 새로 정해졌습니다",
        en="was reset",
    )


@pytest.mark.django_db
def test_an_authenticator_app_added_is_announced(sent, settings):
    settings.MFA_REAUTHENTICATION_REQUIRED = False  # the reauthentication step is allauth's, tested there
    settings.MFA_TOTP_TOLERANCE = 1  # a code made just before a 30-second step still counts
    user = verified_user("staff@example.com")
    client = korean_client()
    client.force_login(user)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    message = sent(lambda: client.post(reverse("mfa_activate_totp"), {"code": code}))
    assert message.to == ["staff@example.com"]
    assert_security_notice(
        message,
        subject_ko="인증 앱 등록 알림",
        subject_en="An authenticator app was added",
        ko="인증 앱(OTP)이 등록되었습니다",
        en="An authenticator app was added",
    )


@pytest.mark.django_db
def test_migrate_names_the_site_row_after_the_site_not_example_com(settings):
    from django.apps import apps
    from django.contrib.sites.models import Site

    from compensation.notifications.account_mail import sync_site_row

    migrated = Site.objects.get(pk=settings.SITE_ID)  # the test database's own migrate ran the hook
    assert (migrated.domain, migrated.name) != ("example.com", "example.com")
    settings.SITE_NAME, settings.SITE_URL = "코인원 보상센터", "https://claims.coinone.example/"
    sync_site_row(sender=apps.get_app_config("compensation"))
    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("claims.coinone.example", "코인원 보상센터")
    assert Site.objects.count() == 1
