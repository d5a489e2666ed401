"""Uploaded claim documents: the type is judged by content, never by the file name."""

import hashlib

import puremagic
from django.utils.translation import gettext as _

from incidents.errors import DomainError, ErrorCode

MAX_BYTES = 10 * 1024 * 1024
# The three accepted formats open with fixed bytes; checking them directly is exact and ~100× cheaper
# than a full magic-number scan, which matters on the claim form during an outage.
SIGNATURES = (
    ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR"),
    ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
)


def sniff_content_type(head: bytes):
    """The accepted MIME type these bytes really are, or None."""
    for mime, matches in SIGNATURES:
        if matches(head):
            return mime
    return None


def describe_content(head: bytes):
    """What a refused file looks like (puremagic's most confident guess), for the error message."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    return max(matches, key=lambda match: match.confidence).name or None


def validate_upload(uploaded):
    """Return (content_type, sha256) or raise DomainError naming the file and the reason."""
    name = getattr(uploaded, "name", "") or _("(unnamed file)")
    size = uploaded.size or 0
    if size == 0:
        raise DomainError(_("“%(name)s” is empty.") % {"name": name}, code=ErrorCode.EMPTY_FILE)
    if size > MAX_BYTES:
        raise DomainError(
            _("“%(name)s” is %(size).1f MB; the limit is 10 MB per file.")
            % {"name": name, "size": size / (1024 * 1024)},
            code=ErrorCode.FILE_TOO_LARGE,
        )
    uploaded.seek(0)
    head = uploaded.read(4096)
    content_type = sniff_content_type(head)
    if content_type is None:
        looks_like = describe_content(head)
        message = _("“%(name)s” is not a PDF, PNG or JPEG file (judged by its content, not its name).") % {"name": name}
        if looks_like:
            message += " " + _("It looks like: %(kind)s.") % {"kind": looks_like}
        raise DomainError(message, code=ErrorCode.FILE_TYPE)
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return content_type, digest.hexdigest()
