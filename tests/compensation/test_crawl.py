"""Every admin and portal page, as every role, with bad parameters and bounded fuzz: never a 5xx.

The URLs come from the URL resolver (the admin registry's pages included), so pages other
features add later are crawled without editing this file, and links on the pages reached are
followed (they carry query strings and action names the resolver cannot know). Each page is
fetched with its real ids, with ids no row has (20 digits, "abc") and with junk query
parameters; every POST form reached is sent back filled with out-of-range numbers and dates
(with a valid time half, so year 1 and 9999 get through the admin's split date-time), formula
text, its hidden row ids replaced by junk, and every hostile file once (CSV imports get broken
CSV: short rows, open quotes, CR line ends, 140,000-character cells, NUL, CP949, UTF-16, a zip;
uploads get text named .pdf, a PNG with a PHP tail, an SVG, a decompression bomb). The
superuser, the claimant and anonymous visitors get all of it; agents, supervisors and compliance
get their own pages and forms once (what differs between roles is access). Bounded: fixed
values, a few pages per route, a request cap, no randomness, so a failure reproduces.
"""

import collections
import itertools
import os
import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from django.urls.resolvers import RoutePattern, URLPattern, URLResolver

from compensation import services
from compensation.models import AffectedOrder, ClaimState, MarketPrice
from incidents.models import Holiday, Incident
from tests.factories import ComplianceFactory, UserFactory

BAD_IDS = ("99999999999999999999",)
BAD_QUERY = {
    "year": "abc",
    "incident": "abc",
    "policy": "99999999999999999999",
    "order": str(2**63),
    "page": "-1",
    "p": "abc",
    "o": "x.9",
    "q": "=1+1",
    "queue": "nobody",
    "state": "nope",
    "date__year": "abc",
    "date__month": "13",
    "started_at__year": "99999",
    "id__exact": "abc",
    "_changelist_filters": "year=abc",
    "next": "//evil.example/",
}
# The first value is the one every role sends: a valid integer that no BIGINT holds.
NUMBERS = ("99999999999999999999", "1e30", str(2**63), "-9223372036854775809", "NaN", "1" * 40)
DATES = ("0001-01-01", "9999-12-31", "10000-01-01", "2025-02-30", "abc")
DATETIMES = ("0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01 00:00:00", "9999-12-31 23:59:59")
# The time half of the admin's split date-time: valid, so the date half's year 1 or 9999 gets through.
TIMES = ("00:00", "23:59:59")
# Hidden ids (which row a button acts on) sent back as no row's id.
JUNK_IDS = ("abc", "99999999999999999999")
TEXT = ('=HYPERLINK("http://x")', "x" * 6000, "<script>alert(1)</script>", "@SUM(1)")
CSV_HEADER = (
    "claim_number,amount_krw,method,reference,paid_at,asset,traded_at,price_krw,"
    "order_id,email,side,quantity,attempted_at,error"
)
ROW = ",BTC,2025-01-20 11:00,5,O3,a@example.com,buy,1,2025-01-20,"
CSV_FILES = (
    # Out-of-range numbers and dates in every column an import reads.
    f"{CSV_HEADER}\nC-X-000001,{2**63},bank_transfer,R1,0001-01-01,BTC,9999-12-31,{10**30},"
    "O1,a@example.com,buy,1e30,0001-01-01T00:00,x\n".encode(),
    f"{CSV_HEADER}\nC-X-000001,1e30,bank_transfer,R1,9999-12-31 23:59,BTC,0001-01-01 00:00,-1,"
    f"O2,a@example.com,sell,{'9' * 40},9999-12-31T23:59:59,x\n".encode(),
    # A short row, an unterminated quote, CR-only line endings, a huge cell, NUL, CP949, a BOM.
    f"{CSV_HEADER}\nC-X-000001,5\n".encode(),
    f'{CSV_HEADER}\n"C-X-000001,5,bank_transfer,R1,,BTC\n'.encode(),
    f"{CSV_HEADER}\rC-X-000001,5,bank_transfer,R1{ROW}x\r".encode(),
    f"{CSV_HEADER}\n{'x' * 140_000},5,bank_transfer,R1{ROW}\n".encode(),
    f"{CSV_HEADER}\nC-X-000001,5,bank_transfer,R\x001{ROW}\x00\n".encode(),
    f"{CSV_HEADER}\nC-X-000001,5,bank_transfer,참조{ROW}오류\n".encode("cp949"),
    b"",
    b"\xef\xbb\xbf" + CSV_HEADER.encode() + b"\n",
    # Not UTF-8 from the first byte: UTF-16 (Excel's "Unicode text"), a zip, binary.
    f"{CSV_HEADER}\nC-X-000001,5,bank_transfer,R1{ROW}x\n".encode("utf-16"),
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)),
)
UPLOADS = (
    ("note.pdf", b"just text, not a pdf"),
    ("broken.pdf", b"%PDF-1.7\n" + b"\x00" * 64),
    ("tail.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20 + b"<?php system($_GET[1]); ?>"),
    ("a.jpg", b"\xff\xd8\xff\xe0" + b"\xff" * 100),
    ("empty.pdf", b""),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    # A PNG header claiming 100,000 × 100,000 pixels (a decompression bomb).
    ("bomb.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00"),
)
MAX_REQUESTS_PER_ROLE = 900
FORM_VARIANTS = 2


class Forms(HTMLParser):
    """The POST forms of a page: action, and every named field with a type and its options."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._select = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(), "fields": []}
            )
        elif not self.forms or "name" not in attrs and tag != "option":
            return
        elif tag == "input":
            self.forms[-1]["fields"].append((attrs["name"], (attrs.get("type") or "text").lower(), attrs))
        elif tag == "textarea":
            self.forms[-1]["fields"].append((attrs["name"], "textarea", attrs))
        elif tag == "select":
            self._select = (attrs["name"], "select", {"options": [], **attrs})
            self.forms[-1]["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select[2]["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def url_patterns(resolver=None, prefix=""):
    """(route text, pattern) for every URL the project serves."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def admin_model_for(route):
    """The model whose ModelAdmin serves this admin route, if any."""
    for model in admin.site._registry:
        if route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


CRAWLING_AS = []  # the user crawling: never their own account's admin pages (deleting it ends the crawl)


def name_like(param):
    return param not in ("pk", "object_id", "id") and not param.endswith("_pk")


def ids_of(model, limit=1):
    if model is None:
        return []
    rows = model._default_manager.order_by("-pk")
    if model is get_user_model():
        rows = rows.exclude(pk__in=CRAWLING_AS)
    return [str(pk) for pk in rows.values_list("pk", flat=True)[:limit]]


PARAM_MODELS = {
    "incident_pk": "incidents.Incident",
    "doc_pk": "compensation.ClaimDocument",
    "content_type_id": "contenttypes.ContentType",
}
PORTAL_MODELS = {"claims/": "compensation.Claim", "incidents/": "incidents.Incident"}


def values_for(route, name, converter):
    """Real values first, then bad ones, for one URL parameter."""
    model = None
    if name in PARAM_MODELS:
        model = apps.get_model(PARAM_MODELS[name])
    elif name in ("pk", "object_id", "id"):
        model = admin_model_for(route) or next(
            (apps.get_model(label) for start, label in PORTAL_MODELS.items() if route.startswith(start)), None
        )
    if name == "year":
        real = ["2025"]
    elif name == "number":
        real = ["1"]
    elif name == "action":
        real = ACTION_NAMES
    else:
        # A route with an action name gets every row (each state offers other actions); others one row.
        real = ids_of(model, limit=10 if re.search(r"<str:", route) else 1) or ["1"]
    bad = list(BAD_IDS) if converter in ("int", "id", "path", "str") else []
    if converter in ("path", "str"):
        bad.append("abc")
    return real, bad


ACTION_NAMES = []


def concrete_urls(route, pattern, thorough=True):
    """A few concrete paths for one route: every parameter real, then each one bad in turn."""
    if not isinstance(pattern.pattern, RoutePattern):
        # A regex route (simple_history's per-version page): real object and version ids.
        model = admin_model_for(route)
        if model is None or "history" not in route:
            return []
        history = getattr(model, "history", None)
        objects = ids_of(model, 1)
        versions = [str(h) for h in history.order_by("-pk").values_list("history_id", flat=True)[:1]] if history else []
        base = route.split("^")[0]
        if not thorough:
            return [f"/{base}{o}/history/{v}/" for o in objects for v in versions]
        return [f"/{base}{o}/history/{v}/" for o in objects + ["abc"] for v in versions + ["99999999999999999999"]]
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    choices = [values_for(route, name, converter or "str") for converter, name in params]

    def fill(values):
        text = route
        for (converter, name), value in zip(params, values):
            text = re.sub(rf"<(?:{converter}:)?{name}>" if converter else rf"<{name}>", value, text, count=1)
        return "/" + text

    if not params:
        return ["/" + route]
    urls = []
    for first in zip(*[real for real, _bad in choices]) if all(r for r, _b in choices) else []:
        urls.append(fill(first))
    # every combination of real values when the route names an action (claim × action), else the first of each
    if any(name_like(name) and converter == "str" for converter, name in params):
        for values in itertools.product(*[real for real, _bad in choices]):
            urls.append(fill(list(values)))
    for index, (_real, bad) in enumerate(choices if thorough else []):
        for value in bad:
            values = [r[0] for r, _b in choices]
            values[index] = value
            urls.append(fill(values))
    return list(dict.fromkeys(urls))


THIRD_PARTY_ADMIN = ("admin/django_celery_beat/", "admin/auth/", "admin/sites/")


def ours(href):
    target = urlsplit(href)
    return not target.netloc and target.path.startswith("/") and "logout" not in target.path


PER_ROUTE = 2  # pages of one route reached by links (claims in every state are reached through their actions)


def link_key(href):
    """What makes a link new: its route (not its ids), its query's keys, and a count per route."""
    target = urlsplit(href)
    try:
        match = resolve(target.path)
    except Resolver404:
        return target.path, ()
    names = tuple(sorted((k, v) for k, v in match.kwargs.items() if not str(v).isdigit()))
    keys = {part.split("=")[0] for part in target.query.split("&") if part}
    # Admin list filters and sorting (state__exact, o, p, _changelist_filters…) are one page to us.
    keys = {key for key in keys if "__" not in key and not key.startswith("_") and key not in ("o", "p", "q", "e")}
    return match.route, names, tuple(sorted(keys))


def fuzz_value(name, kind, attrs, variant):
    lowered = name.lower()
    if kind in ("hidden",) or name in ("csrfmiddlewaretoken", "idempotency_key"):
        return attrs.get("value", "")
    if kind == "checkbox" or kind == "radio":
        return attrs.get("value", "on")
    if kind == "select":
        options = [o for o in attrs["options"] if o]
        if variant % 3 == 2 or not options:
            return "zzz"
        return options[variant % len(options)]
    if kind == "number" or any(w in lowered for w in ("krw", "amount", "price", "quantity", "days", "users", "bp")):
        return NUMBERS[variant % len(NUMBERS)]
    if kind == "date" or lowered.endswith(("_on", "_0", "date")) or "year" in lowered:
        return DATES[variant % len(DATES)]
    if lowered.endswith("_1"):
        return TIMES[variant % len(TIMES)]
    if kind == "datetime-local" or lowered.endswith("_at"):
        return DATETIMES[variant % len(DATETIMES)]
    if kind == "email" or "email" in lowered:
        return ("=1+1@example.com", "x" * 300 + "@example.com")[variant % 2]
    if "password" in lowered:
        return "x"
    return TEXT[variant % len(TEXT)]


def csv_like(name, attrs):
    return "csv" in (attrs.get("accept") or "") or name == "file"


def file_variants(form):
    """How many hostile files the form's file field has to be sent: 0 without one."""
    counts = [
        len(CSV_FILES) if csv_like(name, attrs) else len(UPLOADS)
        for name, kind, attrs in form["fields"]
        if kind == "file"
    ]
    return max(counts, default=0)


def fuzz_post(form, variant):
    data = {}
    for name, kind, attrs in form["fields"]:
        if kind in ("submit", "button", "image", "reset"):
            if variant % 2 == 0 or name not in data:
                data.setdefault(name, attrs.get("value", ""))
            continue
        if kind == "file":
            if csv_like(name, attrs):
                content = CSV_FILES[variant % len(CSV_FILES)]
                data[name] = SimpleUploadedFile("fuzz.csv", content, content_type="text/csv")
            else:
                upload_name, content = UPLOADS[variant % len(UPLOADS)]
                data[name] = SimpleUploadedFile(upload_name, content)
            continue
        value = fuzz_value(name, kind, attrs, variant)
        if kind == "checkbox" and name in data:
            existing = data[name] if isinstance(data[name], list) else [data[name]]
            data[name] = existing + [value]
        else:
            data[name] = value
    return data


def junk_hidden_ids(form):
    """The form's hidden row ids (a snapshot, a decision…) replaced by ids no row has, or {} when it has none."""
    ids = [name for name, kind, attrs in form["fields"] if kind == "hidden" and (attrs.get("value") or "").isdigit()]
    return {name: JUNK_IDS[index % len(JUNK_IDS)] for index, name in enumerate(ids)}


class Crawler:
    def __init__(self, client, label, variants):
        self.client, self.label, self.variants = client, label, variants
        self.requests, self.failures, self.seen_forms = 0, [], set()
        self.route, self.bad_query_sent, self.links, self.seen_links = "", {}, [], set()
        self.visited = collections.Counter()

    def fetch(self, method, url, data=None):
        if self.requests >= MAX_REQUESTS_PER_ROLE:
            return None
        self.requests += 1
        started = time.monotonic()
        try:
            if method == "get":
                response = self.client.get(url, data or {})
            else:
                response = self.client.post(url, data or {})
        except Exception as error:  # noqa: BLE001 - a traceback is exactly what the test looks for
            self.failures.append(f"{self.label} {method.upper()} {url} {data and sorted(data)}: {error!r}")
            return None

        if os.environ.get("CRAWL_DEBUG"):
            print("CRAWL", self.label, method, response.status_code, url, round(time.monotonic() - started, 3))
        if response.status_code >= 500:
            self.failures.append(f"{self.label} {method.upper()} {url}: {response.status_code}")
        return response

    def page(self, url, fuzz_forms=True):
        self.visited[link_key(url)] += 1
        response = self.fetch("get", url)
        if response is None or response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        if self.thorough and self.bad_query_sent.setdefault(self.route, url) == url:
            self.fetch("get", url, BAD_QUERY)
        parser = Forms()
        parser.feed(response.content.decode("utf-8", "replace"))
        for href in parser.links:
            # Links carry what the resolver cannot know: query strings (?incident=…&policy=…), action names.
            if self.visited[link_key(href)] < PER_ROUTE and ours(href) and href not in self.seen_links:
                self.seen_links.add(href)
                self.links.append(href)
        if not fuzz_forms:
            return
        for form in parser.forms:
            if form["method"] != "post":
                continue
            action = form["action"] or url
            target = urlsplit(action)
            if target.netloc or "logout" in target.path or (target.path or url).endswith("/delete/"):
                continue  # another site, or the end of this session
            key = (link_key(target.path or url), tuple(sorted(name for name, _k, _a in form["fields"])))
            if key in self.seen_forms:
                continue
            self.seen_forms.add(key)
            # A form with a file gets every hostile file once (each import and upload check is its own code).
            for variant in range(max(self.variants, file_variants(form))):
                self.fetch("post", action if target.path else url, fuzz_post(form, variant))
            junk_ids = junk_hidden_ids(form)
            if junk_ids:
                self.fetch("post", action if target.path else url, {**fuzz_post(form, 0), **junk_ids})


@pytest.fixture
def crawl_world(world):
    """The claims world, with every state a page can show, imported records and a holiday."""
    world.claim_in(ClaimState.DECIDED)  # the claimant's own: objection and acceptance forms
    for state in (
        ClaimState.SUBMITTED,
        ClaimState.SUPPLEMENT_REQUESTED,
        ClaimState.AWAITING_APPROVAL,
        ClaimState.OBJECTED,
        ClaimState.ACCEPTED,
        ClaimState.PAID,
    ):
        world.claim_in(state, claimant=UserFactory())
    world.compliance = ComplianceFactory()
    world.superuser = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw")
    services.affected_orders_import(
        incident=world.incident,
        actor=world.supervisor,
        csv_text=f"order_id,email,asset,side,quantity,price_krw,attempted_at\n"
        f"O-1,{world.claimant.email},BTC,buy,0.5,100000000,2025-01-20 09:30\n",
    )
    services.market_prices_import(
        incident=world.incident,
        actor=world.supervisor,
        csv_text="asset,traded_at,price_krw\nBTC,2025-01-20 11:05,101000000\n",
    )
    Holiday.objects.get_or_create(date="2025-01-27", defaults={"name": "임시공휴일", "kind": "public"})
    assert AffectedOrder.objects.exists() and MarketPrice.objects.exists() and Incident.objects.exists()
    return world


def crawl(client, label, thorough):
    from compensation.admin.case_actions import ACTIONS_BY_NAME
    from incidents.admin.actions import TRANSITIONS

    ACTION_NAMES[:] = [*ACTIONS_BY_NAME, *TRANSITIONS]
    user = getattr(client, "crawl_user", None)
    CRAWLING_AS[:] = [user.pk] if user else []
    crawler = Crawler(client, label, variants=FORM_VARIANTS if thorough else 1)
    crawler.thorough = thorough
    for route, pattern in url_patterns():
        if route.startswith(("i18n/", "accounts/3rdparty", "accounts/social")):
            continue
        if "logout" in route:
            continue  # keeps the session for the rest of the crawl
        crawler.route = route
        if route.startswith(THIRD_PARTY_ADMIN) and (not thorough or "<" in route):
            continue  # not our code: the superuser opens their lists and add pages, nothing more
        for url in concrete_urls(route, pattern, thorough):
            # Third-party admin pages (Celery beat, users, sites) are fetched; their forms are not ours to fuzz.
            crawler.page(url, fuzz_forms=not route.startswith(THIRD_PARTY_ADMIN))
    while crawler.links:
        href = crawler.links.pop(0)
        if crawler.visited[link_key(href)] < PER_ROUTE and not (
            urlsplit(href).path.startswith(tuple("/" + p for p in THIRD_PARTY_ADMIN))
        ):
            crawler.route = link_key(href)
            third_party = urlsplit(href).path.startswith(tuple("/" + p for p in THIRD_PARTY_ADMIN))
            crawler.page(href, fuzz_forms=not third_party)
    return crawler


ROLES = ("anonymous", "claimant", "agent", "supervisor", "compliance", "superuser")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_answers_a_server_error(crawl_world, role):
    client = Client(raise_request_exception=True)
    user = None if role == "anonymous" else getattr(crawl_world, role)
    if user is not None:
        client.force_login(user)
        client.crawl_user = user
    # The superuser sees every page and button: it gets every bad id and two fuzz rounds per form.
    # The other roles get their own pages and forms once (what differs between roles is access).
    crawler = crawl(client, role, thorough=role in ("superuser", "anonymous", "claimant"))
    assert crawler.requests > 20
    assert not crawler.failures, "\n".join(crawler.failures[:60])
