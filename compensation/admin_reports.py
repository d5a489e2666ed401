"""Admin report pages: per-incident dashboard, SLA across incidents, CSV exports and the payment import."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents import roles
from incidents.models import Incident

from . import selectors, services
from .csv_export import kst, stream_csv
from .models import Claim, Decision

STAFF_ROLES = (roles.AGENT, roles.SUPERVISOR, roles.COMPLIANCE)


class PaymentImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"),
                           help_text="claim_number, amount_krw, method, reference, paid_at")


def report_urls(admin_site):
    def guard(view, *required):
        def wrapped(request, *args, **kwargs):
            if not roles.has_role(request.user, *(required or STAFF_ROLES)):
                raise PermissionDenied
            return view(admin_site, request, *args, **kwargs)

        return admin_site.admin_view(wrapped)

    return [
        path("reports/incident/<int:incident_pk>/", guard(incident_dashboard), name="compensation_incident_dashboard"),
        path("reports/sla/", guard(sla_report), name="compensation_sla"),
        path("reports/register.csv", guard(claim_register_csv), name="compensation_register_csv"),
        path("reports/unpaid.csv", guard(unpaid_csv, roles.SUPERVISOR, roles.COMPLIANCE),
             name="compensation_unpaid_csv"),
        path("reports/payments-import/", guard(payment_import, roles.SUPERVISOR),
             name="compensation_payment_import"),
    ]


def _page(admin_site, request, template, title, **context):
    return TemplateResponse(request, template, {**admin_site.each_context(request), "title": title, **context})


def incident_dashboard(admin_site, request, incident_pk):
    incident = get_object_or_404(Incident, pk=incident_pk)
    return _page(admin_site, request, "admin/compensation/reports/incident_dashboard.html",
                 _("Dashboard: %(incident)s") % {"incident": incident}, incident=incident,
                 stats=selectors.incident_dashboard(incident))


def sla_report(admin_site, request):
    rows = selectors.sla_by_incident()
    for row in rows:
        row["pct"] = round(100 * row["on_time"] / row["decided"], 1) if row["decided"] else None
    incidents = Incident.objects.order_by("-started_at")[:200]
    return _page(admin_site, request, "admin/compensation/reports/sla.html", _("Review SLA (15 business days)"),
                 rows=rows, incidents=incidents)


def claim_register_csv(admin_site, request):
    claims = Claim.objects.select_related("incident", "policy", "claimant", "assignee").order_by("pk")
    if request.GET.get("incident"):
        claims = claims.filter(incident_id=request.GET["incident"])
    decisions = {
        d.claim_id: d for d in Decision.objects.filter(status=Decision.Status.IN_FORCE, claim__in=claims)
    }
    header = ["number", "incident", "damage_type", "claimant", "state", "filed_at_kst", "amount_claimed_krw",
              "review_due_on", "objection_round", "decision", "amount_decided_krw", "pay_on", "assignee"]

    def rows():
        for claim in claims.iterator(chunk_size=2000):
            decision = decisions.get(claim.pk)
            yield [claim.number, claim.incident.title, claim.policy.get_damage_type_display(),
                   claim.claimant.email, claim.state, kst(claim.filed_at), claim.amount_claimed_krw,
                   claim.review_due_on, claim.objection_round,
                   "" if decision is None else ("approved" if decision.approved else "rejected"),
                   "" if decision is None else decision.amount_krw,
                   "" if decision is None or decision.pay_on is None else decision.pay_on,
                   claim.assignee.email if claim.assignee else ""]

    return stream_csv("claim-register.csv", header, rows())


def unpaid_csv(admin_site, request):
    claims = selectors.unpaid_accepted_claims()
    decisions = {d.claim_id: d for d in Decision.objects.filter(status=Decision.Status.IN_FORCE,
                                                                  claim__in=claims)}
    header = ["claim_number", "claimant", "payout_method", "payout_account", "amount_decided_krw",
              "paid_krw", "amount_due_krw", "pay_on", "payment_due_on"]

    def rows():
        for claim in claims.iterator(chunk_size=2000):
            decision = decisions.get(claim.pk)
            decided = decision.amount_krw if decision else 0
            paid = claim.paid_krw or 0
            yield [claim.number, claim.claimant.email, claim.payout_method, claim.payout_account, decided, paid,
                   decided - paid, decision.pay_on if decision and decision.pay_on else "", claim.payment_due_on]

    return stream_csv("accepted-unpaid.csv", header, rows())


def payment_import(admin_site, request):
    form = PaymentImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        else:
            result = services.payments_import(actor=request.user, csv_text=text)
            if not result.errors:
                messages.success(request, _("%(n)d payments recorded.") % {"n": result.applied})
                return redirect("admin:compensation_claim_changelist")
    return _page(admin_site, request, "admin/compensation/reports/payment_import.html",
                 _("Import payment confirmations"), form=form, result=result)
