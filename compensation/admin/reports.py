"""Admin report pages: per-incident dashboard, SLA across incidents, CSV exports and the payment import."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compensation import selectors, services
from compensation.admin import batches
from compensation.admin.charts import Chart, Series
from compensation.admin.csv_export import stream_csv
from compensation.formatting import hours_colon_minutes, kst
from compensation.models import AffectedOrder, Claim, Decision
from compensation.permissions import BatchAction, batch_roles_for
from compensation.services.imports._csv import decode_upload
from compensation.services.imports.orders import ORDER_IMPORTERS
from compensation.services.imports.prices import PRICE_IMPORTERS
from incidents import (
    converters,  # noqa: F401 - registers the <id:…> converter
    roles,
)
from incidents.bounds import BoundedFormMixin, parse_id
from incidents.errors import DomainError
from incidents.kst import today_kst
from incidents.models import Incident, IncidentType


class CsvImportForm(forms.Form):
    """One CSV upload, refused above the size limit before it is read into memory."""

    columns = ""
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.columns

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit_mb = settings.COMPENSATION_IMPORT_MAX_MB
        if upload.size > limit_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; split it into files of at most %(limit)d MB.")
                % {"size": upload.size / 1024 / 1024, "limit": limit_mb}
            )
        return upload


class PriceImportForm(CsvImportForm):
    columns = "asset, traded_at, price_krw"


class OrderImportForm(CsvImportForm):
    columns = "order_id, email, asset, side, quantity, price_krw, attempted_at, error"


class PaymentImportForm(CsvImportForm):
    columns = "claim_number, amount_krw, method, reference, paid_at"


def _read_utf8(form):
    """The uploaded CSV as text, or None with the error on the form (CP949 from Excel is named as such)."""
    try:
        return decode_upload(form.cleaned_data["file"].read())
    except ValueError as error:
        form.add_error("file", str(error))
        return None


def report_urls(admin_site):
    def guard(view, *required):
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, *(required or roles.ALL_ROLES)):
                raise PermissionDenied
            return view(admin_site, request, *args, **kwargs)

        return admin_site.admin_view(wrapped)

    return [
        path("reports/incident/<id:incident_pk>/", guard(incident_dashboard), name="compensation_incident_dashboard"),
        path("reports/incident/<id:incident_pk>/prices/", guard(market_prices), name="compensation_market_prices"),
        path("reports/incident/<id:incident_pk>/orders/", guard(affected_orders), name="compensation_affected_orders"),
        path("reports/sla/", guard(sla_report), name="compensation_sla"),
        path("reports/sla.csv", guard(sla_csv), name="compensation_sla_csv"),
        path("reports/incidents/", guard(incident_register), name="compensation_incident_register"),
        path("reports/incidents.csv", guard(incident_register_csv), name="compensation_incident_register_csv"),
        path("reports/register.csv", guard(claim_register_csv), name="compensation_register_csv"),
        path(
            "reports/unpaid.csv", guard(unpaid_csv, roles.SUPERVISOR, roles.COMPLIANCE), name="compensation_unpaid_csv"
        ),
        path("reports/payments-import/", guard(payment_import, roles.SUPERVISOR), name="compensation_payment_import"),
        path("reports/incident/<int:incident_pk>/proactive/", guard(batches.proactive), name="compensation_proactive"),
        path("reports/batch/<int:batch_pk>/", guard(batches.batch_page), name="compensation_batch"),
        path(
            "reports/credits.csv",
            guard(batches.credit_file_csv, *batch_roles_for(BatchAction.CREDIT_FILE)),
            name="compensation_credit_file",
        ),
    ]


def _page(admin_site, request, template, title, **context):
    return TemplateResponse(request, template, {**admin_site.each_context(request), "title": title, **context})


def claims_per_day_chart(incident):
    """Claims filed per KST day of intake, for the incident dashboard; None before a notice."""
    per_day = selectors.claims_per_day(incident)
    if per_day is None:
        return None
    return Chart(
        title=_("Claims filed per day during intake"),
        categories=[f"{day:%m-%d}" for day, _count in per_day],
        series=[Series(_("claims filed"), [count for _day, count in per_day])],
    )


def incident_dashboard(admin_site, request, incident_pk):
    incident = get_object_or_404(Incident.objects.select_related("created_by"), pk=incident_pk)
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/incident_dashboard.html",
        _("Dashboard: %(incident)s") % {"incident": incident},
        incident=incident,
        stats=selectors.incident_dashboard(incident),
        events=incident.events.select_related("actor").order_by("created_at", "pk"),
        notice_versions=incident.notice_versions.select_related("published_by").order_by("number"),
        claims_chart=claims_per_day_chart(incident),
    )


class RegisterFilter(BoundedFormMixin, forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year (KST)"), required=False, min_value=2000, max_value=2100)
    incident_type = forms.ChoiceField(
        label=gettext_lazy("incident type"), required=False, choices=[("", "—"), *IncidentType.choices]
    )


def _register_rows(request):
    """The register filtered by the query string; a bad filter is shown on the page and ignored."""
    filters = RegisterFilter(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    return filters, selectors.incident_register(year=criteria.get("year"), incident_type=criteria.get("incident_type"))


def incident_register(admin_site, request):
    filters, incidents = _register_rows(request)
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    for incident in page:
        incident.sla_pct = selectors.sla_rate({key: getattr(incident, key) for key in selectors.SLA_KEYS})
        incident.objection_sla_pct = selectors.sla_rate(
            {key: getattr(incident, "objection_" + key) for key in selectors.SLA_KEYS}
        )
    query = request.GET.copy()
    query.pop("page", None)
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/incident_register.html",
        _("Incident register (전자금융사고 관리대장)"),
        page=page,
        filters=filters,
        query=query.urlencode(),
    )


# The review SLA columns of the register and the SLA CSV: first decisions, then objection rounds.
SLA_COLUMNS = (*selectors.SLA_KEYS, *(f"objection_{key}" for key in selectors.SLA_KEYS))


def incident_register_csv(admin_site, request):
    _filters, incidents = _register_rows(request)
    header = [
        "incident_id",
        "title",
        "incident_type",
        "severity",
        "stage",
        "affected_services",
        "started_at_kst",
        "ended_at_kst",
        "outage_duration_hm",
        "detected_at_kst",
        "notice_posted_at_kst",
        "notice_delay_hm",
        "notice_delay_reason",
        "intake_ends_on",
        "root_cause",
        "actions_taken",
        "estimated_affected_users",
        "claims",
        "claims_open",
        *SLA_COLUMNS,
        "objections",
        "approved_krw",
        "paid_krw",
    ]

    def rows():
        for incident in incidents.iterator(chunk_size=500):
            yield [
                incident.pk,
                incident.title,
                incident.incident_type,
                incident.severity,
                incident.state,
                incident.affected_services,
                kst(incident.started_at),
                kst(incident.ended_at),
                hours_colon_minutes(incident.outage_duration),
                kst(incident.detected_at),
                kst(incident.notice_first_posted_at),
                hours_colon_minutes(incident.notice_delay),
                incident.notice_delay_reason,
                incident.intake_ends_on or "",
                incident.root_cause,
                incident.actions_taken,
                "" if incident.estimated_affected_users is None else incident.estimated_affected_users,
                incident.claims_total,
                incident.claims_open,
                *(getattr(incident, name) for name in SLA_COLUMNS),
                incident.objections,
                incident.approved_krw,
                incident.paid_krw,
            ]

    return stream_csv("incident-register.csv", header, rows())


def sla_report(admin_site, request):
    rows = selectors.sla_by_incident()
    review, objection = selectors.review_sla(), selectors.objection_review_sla()
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/sla.html",
        _("Review SLA (15 business days)"),
        rows=rows,
        review=review,
        review_pct=selectors.sla_rate(review),
        objection=objection,
        objection_pct=selectors.sla_rate(objection),
        payment=selectors.payment_sla(),
    )


def sla_csv(admin_site, request):
    """The SLA page as CSV: one row per incident with claims, then the totals (`review_sla()`)."""
    header = ["incident_id", "title", *SLA_COLUMNS, "on_time_pct", "objection_on_time_pct"]

    def line(pk, title, review, objection):
        return [
            pk,
            title,
            *(review[key] for key in selectors.SLA_KEYS),
            *(objection[key] for key in selectors.SLA_KEYS),
            _blank(selectors.sla_rate(review)),
            _blank(selectors.sla_rate(objection)),
        ]

    def rows():
        for row in selectors.sla_by_incident():
            yield line(row["incident"].pk, row["incident"].title, row["review"], row["objection"])
        yield line("", "total", selectors.review_sla(), selectors.objection_review_sla())

    return stream_csv("review-sla.csv", header, rows())


def _blank(value):
    return "" if value is None else value


def claim_register_csv(admin_site, request):
    claims = Claim.objects.select_related("incident", "policy", "claimant", "assignee").order_by("pk")
    if request.GET.get("incident"):
        incident_pk = parse_id(request.GET["incident"])
        if incident_pk is None:
            return HttpResponseBadRequest(
                _("incident must be an incident id, e.g. ?incident=12."), content_type="text/plain; charset=utf-8"
            )
        claims = claims.filter(incident_id=incident_pk)
    decisions = {d.claim_id: d for d in Decision.objects.filter(status=Decision.Status.IN_FORCE, claim__in=claims)}
    header = [
        "number",
        "incident",
        "damage_type",
        "claimant",
        "state",
        "filed_at_kst",
        "amount_claimed_krw",
        "review_due_on",
        "objection_round",
        "decision",
        "amount_decided_krw",
        "pay_on",
        "assignee",
    ]

    def rows():
        for claim in claims.iterator(chunk_size=2000):
            decision = decisions.get(claim.pk)
            yield [
                claim.number,
                claim.incident.title,
                claim.policy.get_damage_type_display(),
                claim.contact_email,
                claim.state,
                kst(claim.filed_at),
                claim.amount_claimed_krw,
                claim.review_due_on,
                claim.objection_round,
                "" if decision is None else ("approved" if decision.approved else "rejected"),
                "" if decision is None else decision.amount_krw,
                "" if decision is None or decision.pay_on is None else decision.pay_on,
                claim.assignee.email if claim.assignee else "",
            ]

    return stream_csv("claim-register.csv", header, rows())


def unpaid_csv(admin_site, request):
    """Accepted, not fully paid: the decision's 지급예정일 is the deadline (kept as `payment_due_on`)."""
    claims = selectors.unpaid_accepted_claims()
    today = today_kst()
    decisions = {d.claim_id: d for d in Decision.objects.filter(status=Decision.Status.IN_FORCE, claim__in=claims)}
    header = [
        "claim_number",
        "claimant",
        "payout_method",
        "payout_account",
        "amount_decided_krw",
        "paid_krw",
        "amount_due_krw",
        "pay_on",
        "overdue",
    ]

    def rows():
        for claim in claims.iterator(chunk_size=2000):
            decision = decisions.get(claim.pk)
            decided = decision.amount_krw if decision else 0
            paid = claim.paid_krw or 0
            yield [
                claim.number,
                claim.contact_email,
                claim.payout_method,
                claim.payout_account,
                decided,
                paid,
                decided - paid,
                claim.payment_due_on or "",
                "yes" if claim.payment_due_on and claim.payment_due_on < today else "",
            ]

    return stream_csv("accepted-unpaid.csv", header, rows())


def payment_import(admin_site, request):
    form = PaymentImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        text = _read_utf8(form)
        if text is not None:
            result = services.payments_import(actor=request.user, csv_text=text)
            if not result.errors:
                messages.success(request, _("%(n)d payments recorded.") % {"n": result.applied})
                return redirect("admin:compensation_claim_changelist")
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/payment_import.html",
        _("Import payment confirmations"),
        form=form,
        result=result,
    )


def _import_records(request, form, service, incident):
    """Run an append-only import from the uploaded CSV; the result (None if the upload itself was bad)."""
    if not form.is_valid():
        return None
    text = _read_utf8(form)
    if text is None:
        return None
    result = service(incident=incident, actor=request.user, csv_text=text)
    if not result.errors:
        messages.success(
            request,
            _("%(added)d rows added, %(unchanged)d already recorded.")
            % {"added": result.added, "unchanged": result.unchanged},
        )
    return result


def market_prices(admin_site, request, incident_pk):
    """The incident's imported trade prices, their import, and filling claims' executable prices."""
    incident = get_object_or_404(Incident, pk=incident_pk)
    can_import = roles.has_role(request.user, *PRICE_IMPORTERS)
    can_fill = roles.has_role(request.user, roles.SUPERVISOR)
    form = PriceImportForm(request.POST or None, request.FILES or None) if can_import else None
    result = None
    if request.method == "POST":
        if request.POST.get("action") == "fill":
            if not can_fill:
                raise PermissionDenied
            try:
                filled = services.claims_fill_executable_prices(incident=incident, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                _report_fill(request, filled)
            return redirect("admin:compensation_market_prices", incident_pk=incident.pk)
        if form is None:
            raise PermissionDenied
        result = _import_records(request, form, services.market_prices_import, incident)
        if result is not None and not result.errors:
            return redirect("admin:compensation_market_prices", incident_pk=incident.pk)
    summary, unpriced = selectors.market_price_summary(incident)
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/market_prices.html",
        _("Market prices: %(incident)s") % {"incident": incident},
        incident=incident,
        summary=summary,
        unpriced=unpriced,
        form=form,
        result=result,
        can_fill=can_fill,
    )


def _report_fill(request, filled):
    for asset, price, count in filled.filled:
        messages.success(
            request,
            _("%(asset)s: %(count)d claims given the executable price %(price)s KRW.")
            % {"asset": asset, "count": count, "price": f"{price.price_krw:,}"},
        )
    for asset, count in filled.missing:
        messages.warning(
            request,
            _("%(asset)s: no price at or after recovery; %(count)d claims still wait.")
            % {"asset": asset, "count": count},
        )
    if not filled.filled and not filled.missing:
        messages.info(request, _("No open price-difference claim is waiting for an executable price."))


def affected_orders(admin_site, request, incident_pk):
    """The incident's failed orders from the exchange's log: import them and invite the users hit."""
    incident = get_object_or_404(Incident, pk=incident_pk)
    can_import = roles.has_role(request.user, *ORDER_IMPORTERS)
    form = OrderImportForm(request.POST or None, request.FILES or None) if can_import else None
    result = None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if request.POST.get("action") == "invite":
            try:
                queued = services.affected_users_invite(incident=incident, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("%(n)d invitations queued; addresses already invited or with a claim were skipped.")
                    % {"n": len(queued)},
                )
            return redirect("admin:compensation_affected_orders", incident_pk=incident.pk)
        result = _import_records(request, form, services.affected_orders_import, incident)
        if result is not None and not result.errors:
            return redirect("admin:compensation_affected_orders", incident_pk=incident.pk)
    orders = AffectedOrder.objects.filter(incident=incident).order_by("attempted_at", "pk")
    page = Paginator(orders, 100).get_page(request.GET.get("page"))
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/affected_orders.html",
        _("Affected orders: %(incident)s") % {"incident": incident},
        incident=incident,
        page=page,
        summary=selectors.affected_order_summary(incident),
        form=form,
        result=result,
        can_invite=can_import and incident.intake_is_open(),
    )
