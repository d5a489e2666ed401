"""Render many outbox rows of one kind and language with one pass through the templates.

A chunk of 50 decision mails of one batch differs only in a few values (claim number, amount,
reasons, account id, the signed link); rendering the three templates (subject, text, HTML) of each
row again cost more than everything else the drain does per message. Here the templates run once
per group, with each value that varies in the group replaced by a marker, and each row's mail is
that output with its own values put in the markers' places, escaped as the template escaped the
marker (HTML autoescape, `linebreaksbr`, or neither).

It is only done where that is provably the same as rendering the row:

- every varying value is a non-empty string or a non-zero integer without marker characters (a
  template may branch on emptiness);
- the kind's templates (with what they extend and include) use a varying value only as
  `{{ name }}` or `{{ name|linebreaksbr }}`: never in a tag (`if`, `with`, `blocktranslate`, a
  custom tag …), with another filter or an attribute; no `{% filter %}` / `{% spaceless %}` blocks;
- every marker in the output is found in one of the four known forms and none is left over;
- the first row of every group is also rendered the normal way and must come out identical.

Otherwise the group is rendered row by row, as before (`outbox.render`).
"""

import logging
import re
from functools import lru_cache

from django.template.defaultfilters import linebreaksbr
from django.template.loader import get_template
from django.utils.formats import localize
from django.utils.html import escape

logger = logging.getLogger(__name__)

OPEN, CLOSE = "\ue000", "\ue001"
# "&" shows whether the template escaped the marker, "\n" whether `linebreaksbr` ran on it.
_MARK = re.compile("\ue000(\\d+)(&amp;|&)(<br>|\n)\ue001")
_TAG = re.compile(r"{%\s*(\w+)(.*?)%}", re.S)
_VAR = re.compile(r"{{\s*(.*?)\s*}}", re.S)
_NAMED = re.compile(r"""^\s*["']([^"']+)["']""")
SIMPLE_FILTERS = ("", "linebreaksbr")
NEVER = {"filter", "spaceless"}


class NotShared(Exception):
    """This group cannot be rendered once: render its rows one by one."""


def _marker(index):
    return f"{OPEN}{index}&\n{CLOSE}"


@lru_cache(maxsize=64)
def _sources(name):
    """The template's source and the sources of what it extends and includes (by literal name)."""
    source = get_template(name).template.source
    out = [source]
    for tag, rest in _TAG.findall(source):
        if tag in ("extends", "include"):
            named = _NAMED.match(rest)
            if named is None:
                raise NotShared(f"{name}: {tag} of a variable template")
            out += _sources(named.group(1))
    return tuple(out)


@lru_cache(maxsize=256)
def _simple_uses_only(names, varying):
    """Do the templates use each varying name only as {{ name }} or {{ name|linebreaksbr }}?"""
    words = [re.compile(rf"(?<![\w.]){re.escape(v)}(?!\w)") for v in varying]
    for name in names:
        for source in _sources(name):
            for tag, rest in _TAG.findall(source):
                if tag in NEVER or any(word.search(rest) for word in words):
                    return False
            for expression in _VAR.findall(source):
                head, _bar, filters = expression.partition("|")
                if any(word.search(filters) for word in words):
                    return False
                if head.strip() in varying and filters.strip() not in SIMPLE_FILTERS:
                    return False
                if any(word.search(head) for word in words) and head.strip() not in varying:
                    return False  # an attribute or a lookup of a varying value
    return True


def _plain(value):
    if isinstance(value, bool) or not isinstance(value, str | int) or not value:
        return False
    return not isinstance(value, str) or (OPEN not in value and CLOSE not in value)


# How a template wrote a marker → the same done to a value: raw, escaped, linebreaksbr raw or escaped.
FORMS = {
    ("&", "\n"): lambda text: text,
    ("&amp;", "\n"): escape,
    ("&", "<br>"): lambda text: linebreaksbr(text, autoescape=False),
    ("&amp;", "<br>"): lambda text: linebreaksbr(text, autoescape=True),
}


def _forms(value, needed):
    """The value in each form the templates wrote its marker in."""
    text = str(localize(value)) if isinstance(value, int) else value
    return {form: FORMS[form](text) for form in needed}


def _split(rendered):
    """Output with markers → [literal, (index, form), literal, …]; a stray marker character fails."""
    parts, last = [], 0
    for match in _MARK.finditer(rendered):
        parts += [rendered[last : match.start()], (int(match.group(1)), (match.group(2), match.group(3)))]
        last = match.end()
    parts.append(rendered[last:])
    if any(isinstance(p, str) and (OPEN in p or CLOSE in p) for p in parts):
        raise NotShared("a marker was changed by the template")
    return parts


def _fill(parts, forms):
    return "".join(p if isinstance(p, str) else forms[p[0]][p[1]] for p in parts)


def render_group(contexts, *, templates, render):
    """Rendered strings for each context (same kind and language), one template pass for all.

    `templates`: the kind's template names; `render(context)` → a tuple of rendered strings (the
    normal way, for one row). Raises NotShared when it cannot be done once.
    """
    keys = set(contexts[0])
    if len(contexts) < 2 or any(set(c) != keys for c in contexts):
        raise NotShared("a single row, or rows with different context keys")
    varying = tuple(sorted(k for k in keys if any(c[k] != contexts[0][k] for c in contexts)))
    if not all(_plain(c[k]) for c in contexts for k in varying):
        raise NotShared("a varying value that is not a plain non-empty string or number")
    if not _simple_uses_only(tuple(templates), varying):
        raise NotShared("a template uses a varying value in a tag or with a filter")
    shared = {**contexts[0], **{k: _marker(i) for i, k in enumerate(varying)}}
    skeletons = [_split(out) for out in render(shared)]
    needed = [
        {p[1] for parts in skeletons for p in parts if not isinstance(p, str) and p[0] == i}
        for i in range(len(varying))
    ]
    results = []
    for context in contexts:
        forms = [_forms(context[k], needed[i]) for i, k in enumerate(varying)]
        results.append(tuple(_fill(parts, forms) for parts in skeletons))
    if results[0] != tuple(render(contexts[0])):
        raise NotShared("the first row renders differently on its own")
    return results
