"""Uploads are checked past their first bytes: PDFs parsed, pictures re-encoded, refusals in plain words."""

import io

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
