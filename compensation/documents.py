"""Uploaded claim documents: the type is judged by content, never by the file name."""

import hashlib

import puremagic
from django.utils.translation import gettext as _

from incidents.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
}


def sniff_content_type(head: bytes):
    """The MIME type the bytes really are (puremagic's most confident match) if we accept it."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(matches, key=lambda match: match.confidence)
    return best.mime_type if best.mime_type in ALLOWED_TYPES else None


def validate_upload(uploaded):
    """Return (content_type, sha256) or raise DomainError naming the file and the reason."""
    name = getattr(uploaded, "name", "") or _("(unnamed file)")
    size = uploaded.size or 0
    if size == 0:
        raise DomainError(_("“%(name)s” is empty.") % {"name": name}, code="empty_file")
    if size > MAX_BYTES:
        raise DomainError(
            _("“%(name)s” is %(size).1f MB; the limit is 10 MB per file.")
            % {"name": name, "size": size / (1024 * 1024)},
            code="file_too_large",
        )
    uploaded.seek(0)
    head = uploaded.read(4096)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise DomainError(
            _("“%(name)s” is not a PDF, PNG or JPEG file (judged by its content, not its name).")
            % {"name": name},
            code="file_type",
        )
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return content_type, digest.hexdigest()
