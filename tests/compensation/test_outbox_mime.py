"""The outbox writes its mails' bytes directly (notifications.mime): the same message Django builds."""

import email
from email import policy

import pytest
from django.core.mail import EmailMultiAlternatives

from compensation.notifications import mime

TEXT = (
    "보상 금액: 100,000원\n사유:\n거래소 내부 기록 — O-1, O-2.\n\n----\nAmount: KRW 100,000\n.leading dot\nFrom here\n"
)
HTML = "<!doctype html>\n<p>보상 금액 <strong>100,000원</strong></p>\n<p>Reasons &amp; evidence<br>O-1</p>\n"


def _message(**overrides):
    values = {
        "subject": "[보상센터] bench 주문 장애 0 전산장애 보상 결정 안내 (신청 없이 지급) — 긴 제목이 접히는지 확인",
        "body": TEXT,
        "from_email": "보상센터 <compensation@exchange.example>",
        "to": ["u1-0@example.com"],
        "headers": {"Message-ID": "<n1.0123456789ab@exchange.example>", "X-Notification-Key": "proactive:1:2"},
    }
    html = overrides.pop("html", HTML)
    values.update(overrides)
    message = EmailMultiAlternatives(**values)
    message.attach_alternative(html, "text/html")
    return message


def _parsed(data):
    return email.message_from_bytes(data, policy=policy.default)


def _summary(parsed):
    return {
        # Django folds a long encoded subject onto its own line, which parses with a leading space.
        "headers": {
            name: str(parsed[name]).strip()
            for name in ("Subject", "From", "To", "Message-ID", "X-Notification-Key", "MIME-Version")
        },
        "type": parsed.get_content_type(),
        "parts": [
            (part.get_content_type(), part.get_content_charset(), part["Content-Transfer-Encoding"], part.get_content())
            for part in parsed.iter_parts()
        ],
    }


@pytest.mark.parametrize(
    "overrides",
    [{}, {"subject": "ASCII subject", "from_email": "compensation@exchange.example"}, {"to": ["한글@example.com"]}],
    ids=["korean", "ascii", "non-ascii-recipient"],
)
def test_the_bytes_parse_to_the_message_django_builds(overrides):
    message = _message(**overrides)
    ours = mime.as_bytes(message)
    django = message.message().as_bytes(linesep="\r\n")
    assert ours is not None and b"\r\n" in ours and b"\n" not in ours.replace(b"\r\n", b"")
    assert _summary(_parsed(ours)) == _summary(_parsed(django))
    assert _parsed(ours)["Date"]


@pytest.mark.parametrize(
    "message",
    [
        lambda: _message(body="x" * 999 + "\n"),  # Django writes quoted-printable for a line over 998 octets
        lambda: _message(html="가" * 400),
        lambda: _message(subject="two\nlines"),  # Django refuses it (BadHeaderError)
        lambda: _message(to=["a@example.com", "b@example.com"]),
        lambda: _message(headers={"Message-ID": "<x@y>", "Reply-To": "r@example.com"}),
    ],
    ids=["long-text-line", "long-html-line", "header-injection", "two-recipients", "other-header"],
)
def test_anything_but_the_simple_shape_goes_through_django(message):
    assert mime.as_bytes(message()) is None
