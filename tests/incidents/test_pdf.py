"""The PDF stack: Korean survives as text, the Korean font is embedded, glyphs are not tofu."""

import sys

import pytest

from incidents import pdf
from incidents.errors import DomainError
from tests.pdf_checks import (
    differing_pixels,
    embedded_fonts,
    first_page_pixels,
    ink,
    pdf_text,
    require_pdf_support,
    tofu_text,
)

TITLE = "원화 마켓 주문 장애 보고서"


def _render(title):
    return pdf.render_pdf("pdf/sample.html", {"title": title, "lines": ["입출금 차단", "보상금액 1,250,000원"]})


def test_korean_title_is_text_and_the_korean_font_is_embedded():
    require_pdf_support()
    data = _render(TITLE)
    assert data.startswith(b"%PDF")
    assert TITLE in pdf_text(data)
    assert any("CJK" in name or "Nanum" in name for name in embedded_fonts(data)), embedded_fonts(data)


def test_korean_prints_as_glyphs_not_empty_boxes():
    require_pdf_support()
    real = first_page_pixels(_render(TITLE))
    tofu = first_page_pixels(_render(tofu_text(TITLE)))
    assert ink(real) > 300
    # Same layout, same number of characters: only the glyph shapes can differ.
    assert differing_pixels(real, tofu) > 300


def test_without_weasyprint_the_reason_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now raises ImportError
    pdf._weasyprint_error.cache_clear()
    try:
        reason = pdf.pdf_unavailable_reason()
        assert "apt-get install" in reason and "pango" in reason.lower()
        with pytest.raises(DomainError):
            _render(TITLE)
    finally:
        monkeypatch.undo()
        pdf._weasyprint_error.cache_clear()
