"""Numbers and dates outside what the database holds, broken CSV and junk ids get a clear message, never a 500."""

import io
import zipfile

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation

from compensation import services
from compensation.models import AffectedOrder, ClaimState, CoverageSnapshot, Decision, ExchangeAccount, MarketPrice
from compensation.services.imports import logs
from incidents.admin.reporting import SubmitForm
from incidents.bounds import BoundedAdminMixin, BoundedFormMixin
from incidents.errors import DomainError
from incidents.models import ReportDeadlineRule
from tests.compensation.portal import claim_form, client_for, new_claim_url
from tests.factories import ComplianceFactory

HEADER = "order_id,email,asset,side,quantity,price_krw,attempted_at"


def import_orders(world, text):
    with translation.override("en"):
        return services.affected_orders_import(incident=world.incident, actor=world.supervisor, csv_text=text)


def import_prices(world, text):
    with translation.override("en"):
        return services.market_prices_import(incident=world.incident, actor=world.supervisor, csv_text=text)


def import_payments(world, text):
    with translation.override("en"):
        return services.payments_import(actor=world.supervisor, csv_text=text)


@pytest.mark.parametrize(
    "row, words",
    [
        ("O-1,a@example.com,BTC,buy,1e30,100,2025-01-20 10:00", "below"),
        ("O-1,a@example.com,BTC,buy,1,1000000000000000000000000000000,2025-01-20 10:00", "at most"),
        (f"O-1,a@example.com,BTC,buy,1,{2**63},2025-01-20 10:00", "at most"),
        ("O-1,a@example.com,BTC,buy,1,100,0001-01-01 00:00", "between 2000 and 2100"),
        ("O-1,a@example.com,BTC,buy,1,100,9999-12-31 23:59", "between 2000 and 2100"),
    ],
)
def test_order_log_values_beyond_the_database_are_refused_by_line(world, row, words):
    result = import_orders(world, f"{HEADER}\n{row}\n")
    assert [line for line, _m in result.errors] == [2]
    assert words in result.errors[0][1] or result.errors[0][1].startswith(("quantity", "price_krw", "attempted_at"))
    assert not AffectedOrder.objects.exists()


@pytest.mark.parametrize("row", ["BTC,2025-01-20 11:00,1000000000000000000000000000000", "BTC,0001-01-01,5"])
def test_prices_beyond_the_database_are_refused_by_line(world, row):
    result = import_prices(world, f"asset,traded_at,price_krw\n{row}\n")
    assert [line for line, _m in result.errors] == [2]
    assert not MarketPrice.objects.exists()


def test_payment_import_short_row_unterminated_quote_and_bad_dates_are_line_errors(world):
    claim = world.claim_in(ClaimState.ACCEPTED)
    header = "claim_number,amount_krw,method,reference,paid_at"
    short = import_payments(world, f"{header}\n{claim.number},5\n")
    assert short.errors and short.errors[0][0] == 2 and "columns" in short.errors[0][1]
    quote = import_payments(world, f'{header}\n"{claim.number},5,bank_transfer,R1,\n')
    assert quote.errors and quote.errors[0][0] == 2 and "quote" in quote.errors[0][1]
    year_one = import_payments(world, f"{header}\n{claim.number},5,bank_transfer,R1,0001-01-01 00:00\n")
    assert year_one.errors == [(2, "paid_at must be between 2000 and 2100.")]
    huge = import_payments(world, f"{header}\n{claim.number},{10**30},bank_transfer,R1,\n")
    assert huge.errors and "at most" in huge.errors[0][1]
    assert claim.payments.count() == 0


def test_cr_only_line_endings_are_read_and_huge_cells_are_a_line_error(world):
    result = import_prices(world, "asset,traded_at,price_krw\rBTC,2025-01-20 11:00,5\rETH,2025-01-20 11:00,6\r")
    assert (result.added, result.errors) == (2, [])
    huge = import_prices(world, f"asset,traded_at,price_krw\nBTC,2025-01-20 11:01,5\n{'X' * 140_000},2025-01-20,5\n")
    assert huge.errors == [(3, "A cell is longer than 131,072 characters.")]


def test_cp949_upload_is_refused_with_save_as_utf8(world):
    client = client_for(world.supervisor)
    body = "asset,traded_at,price_krw\n비트코인,2025-01-20 11:00,5\n".encode("cp949")
    response = client.post(
        reverse("admin:compensation_market_prices", args=[world.incident.pk]),
        {"file": SimpleUploadedFile("prices.csv", body, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert "CSV UTF-8" in response.content.decode() and "CP949" in response.content.decode()


def test_decision_and_assessment_amounts_beyond_bigint_are_form_errors(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    client = client_for(world.agent)
    decide = reverse("admin:compensation_claim_action", args=[claim.pk, "decide"])
    response = client.post(decide, {"approved": "yes", "amount_krw": str(10**30), "reasons": "x"})
    assert response.status_code == 200 and "1,000,000,000,000,000" in response.content.decode()
    assess = reverse("admin:compensation_claim_action", args=[claim.pk, "assess"])
    response = client.post(assess, {"fee_krw": str(2**63), "reason": "x"})
    assert response.status_code == 200
    assert not Decision.objects.filter(claim=claim).exists()


def test_claim_form_intended_at_in_year_one_is_a_form_error(world):
    client = client_for(world.claimant)
    data = claim_form(world.policy, intended_at="0001-01-01T00:00")
    response = client.post(new_claim_url(world.incident, world.policy), data)
    assert response.status_code == 400
    assert "between 2000 and 2100" in response.content.decode()


def test_incident_admin_refuses_year_9999(world):
    client = client_for(ComplianceFactory())
    response = client.post(
        reverse("admin:incidents_incident_add"),
        {
            "title": "t",
            "incident_type": world.incident.incident_type,
            "severity": world.incident.severity,
            "affected_services": "x",
            "started_at_0": "9999-12-31",
            "started_at_1": "23:59",
            "detected_at_0": "0001-01-01",
            "detected_at_1": "00:00",
            "root_cause": "x",
            "actions_taken": "x",
            "estimated_affected_users": str(2**63),
        },
    )
    assert response.status_code == 200
    assert "between 2000 and 2100" in response.content.decode()


@pytest.mark.parametrize(
    "url, query",
    [
        ("/admin/incidents/holiday/", {"year": "abc"}),
        ("/admin/compensation/claim/reports/register.csv", {"incident": "abc"}),
        ("/admin/compensation/claim/reports/register.csv", {"incident": "99999999999999999999"}),
    ],
)
def test_junk_query_parameters_are_refused_or_ignored(world, url, query):
    client = Client(raise_request_exception=False)
    client.force_login(world.supervisor)
    response = client.get(url, query)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/claims/99999999999999999999/documents/1/",
        "/admin/compensation/claim/abc/history/",
        "/admin/compensation/decision/99999999999999999999/history/",
        "/admin/incidents/notice/abc/change/",
        "/admin/compensation/claim/99999999999999999999/act/decide/",
    ],
)
def test_junk_ids_in_paths_are_404_or_a_redirect(world, path):
    client = Client(raise_request_exception=False)
    client.force_login(world.supervisor)
    assert client.get(path).status_code in (302, 404)


# --- The rule, not the examples: every form and admin page that takes a number or a date is bounded.

NUMBER_OR_DATE = (forms.IntegerField, forms.DecimalField, forms.DateField, forms.DateTimeField, forms.FloatField)
OUR_PACKAGES = ("compensation", "incidents", "config")


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_ours_with_a_number_or_a_date_is_bounded():
    assert get_resolver().url_patterns  # imports every view module, and with them their forms
    unbounded = [
        f"{form.__module__}.{form.__qualname__}"
        for form in set(_subclasses(forms.BaseForm))
        if form.__module__.startswith(OUR_PACKAGES)
        and any(isinstance(field, NUMBER_OR_DATE) for field in form.base_fields.values())
        and not issubclass(form, BoundedFormMixin)
    ]
    assert not unbounded, "add BoundedFormMixin (incidents/bounds.py) to: " + ", ".join(sorted(unbounded))


def test_every_admin_page_of_ours_is_bounded():
    """Admin forms are built per request from the model; the mixin gives their number and date fields bounds."""
    unbounded = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_PACKAGES:
            continue
        for admin_class in (type(model_admin), *model_admin.inlines):
            if not issubclass(admin_class, BoundedAdminMixin):
                unbounded.append(admin_class.__qualname__)
    assert not unbounded, "add BoundedAdminMixin (incidents/bounds.py) to: " + ", ".join(sorted(set(unbounded)))


def test_coverage_figures_beyond_bigint_are_form_errors_and_a_junk_snapshot_is_a_404(world):
    officer = ComplianceFactory()
    client = client_for(officer)
    url = reverse("admin:compensation_coveragesnapshot_changelist")
    response = client.post(
        url,
        {
            "action": "record",
            "month": "2025-01-01",
            "basis_value_krw": str(10**20),
            "reserve_krw": str(2**63),
            "licence_type": "krw_market",
        },
    )
    assert response.status_code == 200 and "1,000,000,000,000,000" in response.content.decode()
    response = client.post(url, {"action": "record", "month": "0001-01-01", "basis_value_krw": "1", "reserve_krw": "1"})
    assert response.status_code == 200 and "between 2000 and 2100" in response.content.decode()
    assert not CoverageSnapshot.objects.exists()
    for junk in ("abc", "99999999999999999999", "-1"):
        response = client.post(url, {"action": "fix", "snapshot": junk, "reserve_krw": "1", "note": "x"})
        assert response.status_code == 404


def test_report_submission_time_in_year_one_is_a_form_error():
    with translation.override("en"):
        form = SubmitForm({"submitted_at": "0001-01-01 00:00", "recipient": "FSS", "channel": "email"})
        assert not form.is_valid() and "between 2000 and 2100" in str(form.errors["submitted_at"])


@pytest.mark.parametrize("field, value", [("offset_hours", 10**9), ("offset_business_days", 32767)])
def test_a_report_deadline_rule_cannot_push_the_due_time_off_the_calendar(world, field, value):
    rule_admin = admin.site._registry[ReportDeadlineRule]
    request = RequestFactory().get("/")
    request.user = ComplianceFactory()
    form_class = rule_admin.get_form(request)
    with translation.override("en"):
        form = form_class({"kind": "initial", "anchor": "detected", field: str(value), "basis": "x"})
        assert not form.is_valid() and "at most" in str(form.errors[field])


def _zip_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("accounts.csv", "account_id,email\nA1,a@example.com\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        "account_id,email\nA1,a@example.com\n".encode("utf-16"),
        "계정,이메일\nA1,a@example.com\n".encode("cp949"),
        bytes(range(256)) * 4,
        _zip_file(),
    ],
    ids=["utf-16", "cp949 header", "binary", "zip"],
)
def test_an_exchange_log_that_is_not_utf8_text_is_refused_with_a_message(world, content):
    # The refusal raised inside the import's cleanup (UnboundLocalError): a 500 on the batch page.
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.exchange_accounts_import(actor=world.supervisor, stream=io.BytesIO(content))
    assert "UTF-8" in refused.value.message
    assert not ExchangeAccount.objects.exists()


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_a_line_holding_only_backslash_dot_does_not_cut_the_log_short(world, line_end):
    # It is COPY's end-of-data marker: on PostgreSQL the lines after it were dropped and the
    # import said "1 added", with no error.
    rows = ["account_id,email", "A1,a@example.com", "\\.", "A2,b@example.com", "A3,c@example.com"]
    content = (line_end.join(rows) + line_end).encode()
    with translation.override("en"):
        result = services.exchange_accounts_import(actor=world.supervisor, stream=io.BytesIO(content))
    assert [line for line, _message in result.errors] == [3]
    assert not ExchangeAccount.objects.exists()


def test_the_end_of_data_line_is_found_across_chunk_boundaries(world, monkeypatch):
    monkeypatch.setattr(logs, "COPY_CHUNK", 7)
    rows = ["account_id,email", *[f"A{i},a{i}@example.com" for i in range(1, 9)], "\\.", "B1,b@example.com"]
    content = ("\n".join(rows) + "\n").encode()
    result = services.exchange_accounts_import(actor=world.supervisor, stream=io.BytesIO(content))
    assert [line for line, _message in result.errors] == [10]
    assert not ExchangeAccount.objects.exists()


def _date_lookups():
    """(changelist URL, a year lookup on one of its model's date fields) for every admin list of ours."""
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_PACKAGES or not isinstance(model_admin, BoundedAdminMixin):
            continue
        dates = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DateField)]
        if dates:
            yield f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist", dates[0]


@pytest.mark.parametrize("year", ["0", "99999"])
def test_a_list_filtered_on_a_year_no_date_holds_is_the_wrong_filter_page(world, year):
    # Any lookup on a model's own field may come in the query string; datetime() refused the year: a 500.
    client = Client(raise_request_exception=True)
    client.force_login(get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw"))
    answers = {}
    for url, field in _date_lookups():
        response = client.get(reverse(url), {f"{field}__year": year})
        answers[url] = response.status_code
    assert answers and set(answers.values()) <= {200, 302}, answers


def test_a_repeated_column_in_an_import_is_refused_not_guessed(world):
    result = import_prices(world, "asset,traded_at,price_krw,price_krw\nBTC,2025-01-20 11:00,5,7000000000\n")
    assert result.errors == [(1, "Repeated columns: price_krw")]
    assert not MarketPrice.objects.exists()


def test_a_list_action_on_rows_with_junk_ids_is_not_a_server_error(world):
    client = Client(raise_request_exception=True)
    client.force_login(get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw"))
    answers = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_PACKAGES:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = client.get(url).wsgi_request
        for action in model_admin.get_actions(request):
            for junk in ("99999999999999999999", "abc"):
                response = client.post(url, {"action": action, "_selected_action": [junk], "index": "0"})
                answers[(url, action, junk)] = response.status_code
    assert answers and max(answers.values()) < 500, answers
