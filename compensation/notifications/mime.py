"""The bytes of an outbox mail for SMTP, written directly instead of through the `email` package.

Every outbox mail is the same shape: multipart/alternative, a UTF-8 text part and a UTF-8 HTML
part, a subject, one recipient, a stable Message-ID and our key header. Django builds it with the
`email` package (a MIME object tree, header folding, a generator) at several milliseconds a
message — more than rendering, the database and the SMTP round trips together on a fast drain.
For that one shape this writes the message Django would send (same headers, same 8bit parts);
anything else — a line over 998 octets (Django switches to quoted-printable), an attachment, a
header with a line break (Django refuses it), another charset — returns None and goes through
Django as before. `tests/compensation/test_outbox_mime.py` parses both and compares them.
"""

import re
import secrets
from email.header import Header
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

LINE_LIMIT = 998  # RFC 5322 (Django's RFC5322_EMAIL_LINE_LENGTH_LIMIT)
_NEWLINES = re.compile(r"\r\n|\r|\n")
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+$")


@lru_cache(maxsize=64)
def _subject(subject):
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


@lru_cache(maxsize=16)
def sender_address(address):
    """The From address as Django's SMTP backend writes it (header and envelope); one per site."""
    return sanitize_address(address, "utf-8")


def envelope_address(address):
    """What Django's SMTP backend gives smtplib for an address (sanitize_address), cheaply for plain ones."""
    return address if _PLAIN_ADDRESS.match(address) else sanitize_address(address, "utf-8")


def _simple(message):
    return (
        type(message) is EmailMultiAlternatives
        and (message.encoding or settings.DEFAULT_CHARSET).lower() == "utf-8"
        and message.content_subtype == "plain"
        and len(message.to) == 1
        and bool(message.to[0])
        and not (message.cc or message.bcc or message.reply_to or message.attachments)
        and len(message.alternatives) == 1
        and message.alternatives[0][1] == "text/html"
        and {name.lower() for name in message.extra_headers} <= {"message-id", "x-notification-key"}
    )


def _part(subtype, text):
    """A UTF-8 8bit part; None when a line is too long for 8bit (Django would use quoted-printable)."""
    lines = _NEWLINES.split(text)
    if any(len(line) * 3 > LINE_LIMIT and len(line.encode()) > LINE_LIMIT for line in lines):
        return None
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n'
    return (head + "\r\n" + "\r\n".join(lines)).encode()


def as_bytes(message):
    """The SMTP DATA of `message` as Django would write it, or None when it is not the simple shape."""
    if not _simple(message):
        return None
    headers = {
        "Subject": message.subject,
        "From": message.from_email,
        "To": message.to[0],
        **message.extra_headers,
    }
    if any("\n" in value or "\r" in value for value in map(str, headers.values())):
        return None  # Django refuses a header with a line break (BadHeaderError): let it
    text, html = _part("plain", message.body), _part("html", message.alternatives[0][0])
    if text is None or html is None:
        return None
    boundary = f"==============={secrets.token_hex(12)}=="
    head = [
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        "MIME-Version: 1.0",
        f"Subject: {_subject(message.subject)}",
        f"From: {sender_address(message.from_email)}",
        f"To: {envelope_address(message.to[0])}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        *(f"{name}: {value}" for name, value in message.extra_headers.items()),
    ]
    if not all(line.isascii() for line in head):
        return None
    delimiter = f"\r\n--{boundary}\r\n".encode()
    return b"".join(
        [
            "\r\n".join(head).encode(),
            b"\r\n",
            delimiter,
            text,
            delimiter,
            html,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
