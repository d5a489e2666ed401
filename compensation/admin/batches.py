"""Staff pages for compensation without a claim: the exchange's logs per incident, batches, the credit file.

Thin: forms check shape, services decide, a DomainError becomes a message.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compensation import selectors, services
from compensation.admin.csv_export import stream_csv
from compensation.models import (
    AffectedOrder,
    BatchState,
    CompensationBatch,
    DelayedTransfer,
    ExchangeAccount,
    FailedLogin,
    PayoutKind,
)
from compensation.permissions import BatchAction, batch_actions_for, batch_refusal
from compensation.services import batches as batch_rules
from incidents.errors import DomainError
from incidents.models import Incident


class LogImportForm(forms.Form):
    LOGS = (
        ("accounts", gettext_lazy("Exchange accounts: account_id, email")),
        (
            "orders",
            gettext_lazy("Failed orders: order_id, account_id, email, asset, side, quantity, price_krw, attempted_at"),
        ),
        (
            "transfers",
            gettext_lazy(
                "Delayed deposits and withdrawals: account_id, direction, asset, amount, requested_at, completed_at"
            ),
        ),
        ("logins", gettext_lazy("Failed logins: account_id, attempted_at")),
    )
    log = forms.ChoiceField(label=gettext_lazy("Log"), choices=LOGS)
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"))


def _page(admin_site, request, template, title, **context):
    return TemplateResponse(request, template, {**admin_site.each_context(request), "title": title, **context})


def _binary(upload):
    handle = upload.file
    while hasattr(handle, "file") and not hasattr(handle, "readinto"):
        handle = handle.file
    handle.seek(0)
    return handle


def _import(request, incident, form):
    upload = form.cleaned_data["file"]
    stream = _binary(upload)
    log = form.cleaned_data["log"]
    call = {
        "accounts": lambda: services.exchange_accounts_import(actor=request.user, stream=stream),
        "orders": lambda: services.affected_orders_import(incident=incident, actor=request.user, stream=stream),
        "transfers": lambda: services.delayed_transfers_import(incident=incident, actor=request.user, stream=stream),
        "logins": lambda: services.failed_logins_import(incident=incident, actor=request.user, stream=stream),
    }[log]
    result = call()
    if not result.errors:
        messages.success(
            request,
            _("%(read)d rows read: %(added)d added, %(unchanged)d already recorded, 0 refused.")
            % {"read": result.read, "added": result.added, "unchanged": result.unchanged},
        )
    return result


def _refused(request, action, batch=None):
    """A refused action is a message on the page, never a bare 403: the table says why."""
    context = batch_rules.approval_context(batch) if batch is not None else {}
    refusal = batch_refusal(request.user, action, batch, **context)
    if refusal is not None:
        messages.error(request, refusal[0])
    return refusal is not None


def proactive(admin_site, request, incident_pk):
    """The incident's logs from the exchange, their imports, and its compensation batches."""
    incident = get_object_or_404(Incident, pk=incident_pk)
    allowed = batch_actions_for(request.user)
    form = LogImportForm(request.POST or None, request.FILES or None) if BatchAction.IMPORT_LOGS in allowed else None
    result = None
    if request.method == "POST":
        if request.POST.get("action") == "create":
            if _refused(request, BatchAction.CREATE):
                return redirect("admin:compensation_proactive", incident_pk=incident.pk)
            try:
                batch = services.batch_create(incident=incident, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("admin:compensation_proactive", incident_pk=incident.pk)
            return redirect("admin:compensation_batch", batch_pk=batch.pk)
        if _refused(request, BatchAction.IMPORT_LOGS):
            return redirect("admin:compensation_proactive", incident_pk=incident.pk)
        if form.is_valid():
            try:
                result = _import(request, incident, form)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                if not result.errors:
                    return redirect("admin:compensation_proactive", incident_pk=incident.pk)
    counts = {
        "accounts": ExchangeAccount.objects.count(),
        "orders": AffectedOrder.objects.filter(incident=incident).exclude(account_id="").count(),
        "transfers": DelayedTransfer.objects.filter(incident=incident).count(),
        "logins": FailedLogin.objects.filter(incident=incident).count(),
    }
    batches = CompensationBatch.objects.filter(incident=incident).select_related("prepared_by", "approved_by")
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/proactive.html",
        _("Compensation without a claim: %(incident)s") % {"incident": incident},
        incident=incident,
        form=form,
        result=result,
        counts=counts,
        batches=batches,
        can_import=BatchAction.IMPORT_LOGS in allowed,
        can_create=BatchAction.CREATE in allowed,
        can_export_credits=BatchAction.CREDIT_FILE in allowed,
    )


ACTIONS = {
    "compute": lambda batch, user, post: services.batch_compute(batch=batch, actor=user),
    "approve": lambda batch, user, post: services.batch_approve(
        batch=batch, actor=user, note=post.get("note", ""), kind=BatchAction.APPROVE
    ),
    "co_approve": lambda batch, user, post: services.batch_approve(
        batch=batch, actor=user, note=post.get("note", ""), kind=BatchAction.CO_APPROVE
    ),
    "issue": lambda batch, user, post: services.batch_issue(batch=batch, actor=user),
    "cancel": lambda batch, user, post: services.batch_cancel(batch=batch, actor=user, reason=post.get("reason", "")),
}
# The form's action → the table's action it needs (approve: either approval the user may give).
ACTION_NEEDS = {
    "compute": BatchAction.COMPUTE,
    "approve": BatchAction.APPROVE,
    "co_approve": BatchAction.CO_APPROVE,
    "issue": BatchAction.ISSUE,
    "cancel": BatchAction.CANCEL,
}
DONE = {
    "compute": gettext_lazy("Computed."),
    "approve": gettext_lazy("Approval recorded."),
    "co_approve": gettext_lazy("Compliance co-approval recorded."),
    "issue": gettext_lazy("Issued: each account's decision is queued for mailing."),
    "cancel": gettext_lazy("Cancelled."),
}


def batch_page(admin_site, request, batch_pk):
    batch = get_object_or_404(
        CompensationBatch.objects.select_related(
            "incident", "prepared_by", "approved_by", "compliance_approved_by", "issued_by"
        ),
        pk=batch_pk,
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ACTIONS:
            messages.error(request, _("Unknown action: nothing was done."))
        elif not _refused(request, ACTION_NEEDS[action], batch):
            try:
                ACTIONS[action](batch, request.user, request.POST)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, DONE[action])
        return redirect("admin:compensation_batch", batch_pk=batch.pk)
    by_policy = (
        batch.lines.values("policy__name", "outcome").annotate(lines=Count("pk")).order_by("policy__name", "outcome")
    )
    allowed = batch_actions_for(request.user, batch, **batch_rules.approval_context(batch))
    return _page(
        admin_site,
        request,
        "admin/compensation/reports/batch.html",
        _("Compensation batch %(pk)s: %(incident)s") % {"pk": batch.pk, "incident": batch.incident},
        batch=batch,
        outcomes=selectors.batch_outcomes(batch),
        bands=selectors.batch_bands(batch),
        largest=selectors.batch_largest(batch),
        sample=selectors.batch_sample(batch),
        merged=selectors.batch_merged(batch),
        waiting=selectors.batch_waiting_corrections(batch) if batch.state != BatchState.ISSUED else [],
        by_policy=by_policy,
        events=batch.events.select_related("actor").order_by("created_at", "pk"),
        needs_compliance=batch_rules.needs_compliance(batch),
        compliance_limit=batch_rules.compliance_limit_krw(),
        allowed={str(action) for action in allowed},
        states=BatchState,
    )


def credit_file_csv(admin_site, request):
    """Accepted (or lapsed) proactive decisions to credit, by account id, in the payment import's columns."""

    def rows():
        for number, account_id, decided, paid, payout_kind, details, decision_pk in selectors.credit_file_rows():
            due = (decided or 0) - (paid or 0)
            if due <= 0:
                continue
            method = "bank_transfer" if payout_kind == PayoutKind.BANK else "wallet_credit"
            target = account_id if payout_kind == PayoutKind.EXCHANGE_CREDIT else details
            yield [number, account_id, due, method, target, f"CREDIT-{number}-{decision_pk}", ""]

    header = ["claim_number", "account_id", "amount_krw", "method", "payout_to", "reference", "paid_at"]
    return stream_csv("proactive-credits.csv", header, rows())
