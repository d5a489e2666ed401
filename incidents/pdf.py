"""PDF rendering (WeasyPrint), loaded lazily so the app runs on a machine without it.

WeasyPrint needs Pango from the operating system and the PDFs need a Korean font, else
Hangul comes out as empty boxes (tofu). `.ci/run` and the README's set-up install both
(`libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk`). Without them the app still runs:
`pdf_unavailable_reason()` says what is missing and the report pages show that instead of
a PDF link; CSV exports do not depend on any of it.
"""

import functools
import shutil
import subprocess

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from incidents.errors import DomainError, ErrorCode

INSTALL_HINT = "apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk && pip install -e ."
# Tried in this order; the first one fontconfig knows is embedded (subset) in the PDF.
KOREAN_FONTS = ("Noto Sans CJK KR", "NanumGothic", "Noto Sans KR", "UnDotum")


@functools.cache
def _weasyprint_error():
    try:
        # Lazy on purpose: the app must start on a machine without WeasyPrint or Pango.
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:  # OSError: the package is there but Pango is not
        return f"{type(error).__name__}: {error}"
    return None


@functools.cache
def korean_font():
    """The family name of an installed Korean font, or None (asked from fontconfig once per process)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":lang=ko", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return next((name for name in KOREAN_FONTS if name in families), next(iter(sorted(families)), None))


def pdf_unavailable_reason():
    """None when PDFs can be made here, else a sentence saying what to install."""
    error = _weasyprint_error()
    if error:
        return _("PDF export needs WeasyPrint and Pango (%(error)s). Install them: %(hint)s") % {
            "error": error,
            "hint": INSTALL_HINT,
        }
    if korean_font() is None:
        return _("PDF export needs a Korean font, or Hangul prints as empty boxes. Install one: %(hint)s") % {
            "hint": INSTALL_HINT
        }
    return None


def render_pdf(template_name, context, *, request=None):
    """The template rendered to PDF bytes with the Korean font embedded; DomainError when PDFs cannot be made."""
    reason = pdf_unavailable_reason()
    if reason:
        raise DomainError(reason, code=ErrorCode.NOT_ALLOWED)
    # Lazy on purpose (see _weasyprint_error): only a PDF request loads WeasyPrint.
    from weasyprint import HTML

    html = render_to_string(template_name, {**context, "pdf_font": korean_font()}, request=request)
    return HTML(string=html, base_url=None).write_pdf()
