"""The Korean catalog is complete, and the committed .mo matches the .po (CI may lack gettext)."""

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
KO_PO = LOCALE / "ko" / "LC_MESSAGES" / "django.po"
KO_MO = LOCALE / "ko" / "LC_MESSAGES" / "django.mo"
FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def po_entries(path):
    """(msgid, msgstr, fuzzy, location) for every entry except the header; obsolete ones skipped."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        if all(line.startswith("#~") or not line.strip() for line in lines):
            continue
        fields, current = {}, None
        for line in lines:
            match = FIELD.match(line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if not fields.get("msgid"):
            continue
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        where = next((line for line in lines if line.startswith("#:")), "")
        entries.append((fields["msgid"], msgstr, fuzzy, where))
    return entries


def test_every_korean_msgid_is_translated_and_not_fuzzy():
    problems = [
        f"{where}  {msgid!r}" + ("  (fuzzy)" if fuzzy else "  (empty)")
        for msgid, msgstr, fuzzy, where in po_entries(KO_PO)
        if fuzzy or not msgstr.strip()
    ]
    assert not problems, (
        "Untranslated or fuzzy Korean messages; translate them in locale/ko/LC_MESSAGES/django.po "
        "and run `make messages`:\n" + "\n".join(problems)
    )


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%%")
    wrong = [
        msgid
        for msgid, msgstr, _fuzzy, _where in po_entries(KO_PO)
        if msgstr and sorted(placeholder.findall(msgid)) != sorted(placeholder.findall(msgstr))
    ]
    assert not wrong, wrong


def test_committed_mo_matches_the_po():
    with KO_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, fuzzy, _where in po_entries(KO_PO)
        if msgstr and not fuzzy and compiled.gettext(msgid) != msgstr
    ]
    assert not stale, f"django.mo is older than django.po; run `make messages`: {stale[:10]}"


@pytest.mark.parametrize("path", [KO_PO])
def test_catalog_is_for_korean(path):
    assert '"Language: ko\\n"' in path.read_text(encoding="utf-8")
