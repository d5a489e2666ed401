"""Uploads are checked past their first bytes: PDFs parsed, pictures re-encoded, refusals in plain words."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from compensation.models import ClaimDocument
from compensation.services.uploads import check_upload
from incidents.errors import DomainError
from tests.compensation.factories import PDF_BYTES, PNG_BYTES


def upload(name, data):
    return SimpleUploadedFile(name, data)


def refused(name, data):
    with translation.override("en"), pytest.raises(DomainError) as caught:
        check_upload(upload(name, data))
    return caught.value.message


def pdf_with(extra):
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    extra(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_a_text_file_named_pdf_is_called_plain_text():
    message = refused("statement.pdf", b"just some words, not a document\n")
    assert "is not a PDF, PNG or JPEG file" in message and "plain text" in message
    assert "GNU" not in message and "Info" not in message


def test_a_pdf_that_does_not_parse_is_refused():
    message = refused("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert "could not be opened as a PDF" in message


def test_pdf_javascript_is_refused():
    def add_js(writer):
        writer.add_open_action(JavaScript("app.alert('hi');"))

    assert "JavaScript" in refused("js.pdf", pdf_with(add_js))


def test_pdf_embedded_file_is_refused():
    def attach(writer):
        writer.add_attachment("payload.exe", b"MZ\x90\x00")

    assert "embedded files" in refused("attached.pdf", pdf_with(attach))


def test_pdf_launch_action_is_refused():
    def launch(writer):
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    assert "starts a program" in refused("launch.pdf", pdf_with(launch))


def test_a_clean_pdf_is_kept_as_sent():
    checked = check_upload(upload("ok.pdf", PDF_BYTES))
    assert checked.content_type == "application/pdf" and checked.content.read() == PDF_BYTES


def test_a_png_with_a_php_tail_is_stored_without_it():
    polyglot = PNG_BYTES + b"<?php system($_GET['c']); ?>"
    checked = check_upload(upload("photo.png", polyglot))
    stored = checked.content.read()
    assert b"<?php" not in stored and stored.startswith(b"\x89PNG")
    Image.open(io.BytesIO(stored)).verify()


def test_a_jpeg_with_an_html_tail_is_stored_without_it():
    checked = check_upload(upload("photo.jpg", jpeg_bytes() + b"<html><script>alert(1)</script></html>"))
    assert checked.content_type == "image/jpeg" and b"<script" not in checked.content.read()


def test_a_picture_that_does_not_decode_is_refused():
    message = refused("fake.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40)
    assert "could not be opened as a PNG picture" in message


def test_the_stored_document_is_the_clean_one(world):
    claim = world.submit(files=[(world.requirement, upload("shot.png", PNG_BYTES + b"<script>x</script>"))])
    document = ClaimDocument.objects.get(claim=claim)
    with document.file.open("rb") as handle:
        data = handle.read()
    assert b"<script>" not in data and document.size == len(data)


def _picture(fmt, size=(40, 30), **params):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **params)
    return out.getvalue()


def test_a_phone_jpeg_with_a_second_picture_is_accepted_as_its_first():
    # Phones save a depth map or a preview as a second picture (MPO); Pillow opens that as "MPO", not "JPEG".
    out = io.BytesIO()
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (20, 15), "blue")
    first.save(out, format="MPO", save_all=True, append_images=[second])
    checked = check_upload(upload("IMG_0001.jpg", out.getvalue()))
    assert checked.content_type == "image/jpeg"
    with Image.open(checked.content) as stored:
        assert (stored.format, stored.size, getattr(stored, "n_frames", 1)) == ("JPEG", (40, 30), 1)


def test_a_photo_taken_upright_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned 90°
    checked = check_upload(upload("receipt.jpg", _picture("JPEG", size=(40, 30), exif=exif)))
    with Image.open(checked.content) as stored:
        assert stored.size == (30, 40)


def test_a_decompression_bomb_is_refused_for_its_size_not_called_damaged():
    # A 100,000 × 100,000 PNG header: Pillow refuses to open it at all.
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    message = refused("bomb.png", bomb)
    assert "too many pixels" in message and "40 megapixels" in message


def test_an_svg_is_named_as_a_drawing():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "an SVG drawing" in refused("badge.png", svg)
