"""Uploaded claim documents: judged by their content, never by the file name, and checked past the first bytes.

- PDFs are parsed (pypdf) and refused when they do not parse, are encrypted, or carry JavaScript,
  launch actions, embedded files or rich media: a reviewer opens them on a work machine.
- PNG and JPEG images are decoded and re-encoded (Pillow): what is stored is the picture alone, so
  a trailing payload (an HTML or PHP tail, a ZIP glued on: a polyglot) is dropped.
- Messages say what is wrong in plain words.
"""

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from incidents.errors import DomainError, ErrorCode

MAX_BYTES = 10 * 1024 * 1024
# A picture larger than this (e.g. a 50,000 × 50,000 "decompression bomb") is refused before decoding.
MAX_PIXELS = 40_000_000
# Objects walked in a PDF before giving up (a crafted file could hold millions).
MAX_PDF_OBJECTS = 50_000
# The three accepted formats open with fixed bytes; checking them directly is exact and cheap.
SIGNATURES = (
    ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR"),
    ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
)
# PDF keys that run code, start programs or carry files.
PDF_ACTIVE_KEYS = {
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/Launch": "an action that starts a program",
    "/EmbeddedFile": "embedded files",
    "/EmbeddedFiles": "embedded files",
    "/RichMedia": "embedded media",
    "/XFA": "an XFA form",
}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    sha256: str
    content: ContentFile  # what is stored: the file as sent (PDF) or the re-encoded picture


def sniff_content_type(head: bytes):
    """The accepted MIME type these bytes really are, or None."""
    for mime, matches in SIGNATURES:
        if matches(head):
            return mime
    return None


def describe_content(head: bytes):
    """What a refused file looks like, in plain words, or None when we cannot tell."""
    guesses = (
        (b"PK\x03\x04", _("a ZIP archive or an Office document (Word, Excel)")),
        (b"\xd0\xcf\x11\xe0", _("an older Office or HWP document")),
        (b"GIF8", _("a GIF image")),
        (b"BM", _("a BMP image")),
        (b"II*\x00", _("a TIFF image")),
        (b"MM\x00*", _("a TIFF image")),
    )
    for start, words in guesses:
        if head.startswith(start):
            return words
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _("a WebP image")
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return _("a HEIC photo (iPhone)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lowered = text.lstrip().lower()
    if "<svg" in lowered:
        return _("an SVG drawing")
    if lowered.startswith(("<!doctype html", "<html")) or "<script" in lowered:
        return _("a web page (HTML)")
    return _("plain text")


def _refuse(message, code=ErrorCode.FILE_TYPE):
    raise DomainError(message, code=code)


def _active_pdf_content(reader):
    """The first dangerous feature found in the objects reachable from the PDF's catalog, or None."""
    seen, pending, walked = set(), [reader.trailer], 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            return _("too many objects to check")
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in PDF_ACTIVE_KEYS:
                    return _(PDF_ACTIVE_KEYS[name])
                if name == "/S" and value in ("/Launch", "/JavaScript", "/ImportData", "/SubmitForm"):
                    return _(PDF_ACTIVE_KEYS.get(str(value), "an action that starts a program"))
                if name not in ("/Parent", "/P"):  # back links lead to pages already on the list
                    pending.append(value)
        elif isinstance(node, ArrayObject):
            pending.extend(node)
    return None


def _check_pdf(name, data):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                _refuse(_("“%(name)s” is a password-protected PDF; send it without a password.") % {"name": name})
            pages = len(reader.pages)
            found = _active_pdf_content(reader)
    except DomainError:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, OSError):
        _refuse(
            _("“%(name)s” could not be opened as a PDF: the file is damaged or is not really a PDF.") % {"name": name}
        )
    if pages == 0:
        _refuse(_("“%(name)s” is a PDF without pages.") % {"name": name})
    if found:
        _refuse(
            _(
                "“%(name)s” is a PDF that contains %(what)s, which we do not accept. "
                "Print it to a new PDF or send a scan."
            )
            % {"name": name, "what": found}
        )
    return data


# What Pillow calls a file of each accepted type: a phone's JPEG with a second picture (a depth map,
# a preview) opens as "MPO"; it is stored as the JPEG of its first picture.
PILLOW_FORMATS = {"image/png": ("PNG",), "image/jpeg": ("JPEG", "MPO")}


def _too_many_pixels(name, size=None):
    if size is None:  # Pillow refused to open it: far above the limit
        message = _("“%(name)s” has too many pixels; send a picture of at most 40 megapixels.") % {"name": name}
    else:
        message = _("“%(name)s” is %(w)d × %(h)d pixels; send a picture of at most 40 megapixels.") % {
            "name": name,
            "w": size[0],
            "h": size[1],
        }
    _refuse(message)


# PNG at zlib level 1: a phone screenshot encodes several times faster than at the default 6 (a
# claim's largest CPU cost on the outage morning after Django itself), for a somewhat larger file.
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {"optimize": False, "compress_level": 1}}


def _reencode_image(name, data, content_type):
    """The picture alone, decoded and encoded again in the same format, turned upright as the camera meant."""
    fmt = PILLOW_FORMATS[content_type][0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in PILLOW_FORMATS[content_type]:
                    raise UnidentifiedImageError
                if image.width * image.height > MAX_PIXELS:
                    _too_many_pixels(name, image.size)
                image.load()
                # The orientation tag goes with the rest of the metadata: apply it, or the photo of a
                # receipt taken upright reaches the reviewer lying on its side.
                image = ImageOps.exif_transpose(image)
                if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, format=fmt, **SAVE_OPTIONS.get(fmt, {}))
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _too_many_pixels(name)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        KeyError,
        TypeError,
        IndexError,
        struct.error,
    ):
        _refuse(
            _("“%(name)s” could not be opened as a %(kind)s picture: the file is damaged or is not really a picture.")
            % {"name": name, "kind": fmt}
        )
    return out.getvalue()


def check_upload(uploaded):
    """The checked, cleaned upload (CheckedUpload) or DomainError naming the file and the reason."""
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
    data = uploaded.read(MAX_BYTES + 1)
    uploaded.seek(0)
    content_type = sniff_content_type(data[:4096])
    if content_type is None:
        looks_like = describe_content(data[:4096])
        message = _("“%(name)s” is not a PDF, PNG or JPEG file (judged by its content, not its name).") % {"name": name}
        if looks_like:
            message += " " + _("It looks like %(kind)s.") % {"kind": looks_like}
        raise DomainError(message, code=ErrorCode.FILE_TYPE)
    if content_type == "application/pdf":
        data = _check_pdf(name, data)
    else:
        data = _reencode_image(name, data, content_type)
    return CheckedUpload(content_type, hashlib.sha256(data).hexdigest(), ContentFile(data, name=name))


def validate_upload(uploaded):
    """Return (content_type, sha256) of the cleaned content or raise DomainError naming the file and the reason."""
    checked = check_upload(uploaded)
    return checked.content_type, checked.sha256
