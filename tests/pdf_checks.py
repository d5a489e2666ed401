"""Reading the PDFs the app makes: text (pypdf), embedded fonts, and page 1 as pixels (pdftoppm).

Why pixels: a PDF whose font lacks Hangul still *extracts* as Korean text (the ToUnicode map
is there), yet prints every syllable as the same empty .notdef box ("tofu"). So the check
renders page 1 twice: the real PDF, and the same document with the Korean text replaced by
private-use characters (U+E000…), which no font has and which therefore always print as tofu.
If the Korean had printed as tofu, both pages would be pixel-identical (same number of
.notdef boxes in the same places); real glyphs differ from the boxes in hundreds of pixels.
"""

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.integration.services import service_unavailable


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> set[str]:
    """BaseFont names of the fonts embedded on any page (subset prefix removed)."""
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font.get("/BaseFont", ""))
            names.add(name.split("+", 1)[-1].lstrip("/"))
    return names


def tofu_text(text: str) -> str:
    """Each non-ASCII character of `text` swapped for a private-use one: always an empty box."""
    return "".join(ch if ord(ch) < 128 else chr(0xE000 + (ord(ch) % 256)) for ch in text)


def first_page_pixels(data: bytes, dpi=72):
    """Page 1 as a greyscale PIL image (pdftoppm from poppler-utils)."""
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        service_unavailable("pdftoppm is missing: apt-get install -y poppler-utils", suite="make test")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(data)
        subprocess.run(
            [pdftoppm, "-png", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", source, Path(tmp) / "p1"],
            check=True,
            timeout=60,
        )
        with Image.open(Path(tmp) / "p1.png") as image:
            return image.convert("L").copy()


def ink(image, threshold=128) -> int:
    """Dark pixels on the page."""
    return sum(1 for value in image.tobytes() if value < threshold)


def differing_pixels(a, b, threshold=64) -> int:
    assert a.size == b.size, (a.size, b.size)
    return sum(1 for x, y in zip(a.tobytes(), b.tobytes()) if abs(x - y) > threshold)


def require_pdf_support():
    from incidents.pdf import pdf_unavailable_reason

    reason = pdf_unavailable_reason()
    if reason:
        service_unavailable(reason, suite="make test")
