"""The staff workspace for claims: queue, case page and transition buttons that call the services."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compensation import selectors, services
from compensation.admin import assisted, case_actions
from compensation.admin.base import NoRevertHistoryAdmin
from compensation.admin.filters import (
    AssigneeFilter,
    AwaitingApprovalFilter,
    ConfirmationFilter,
    DeadlineFilter,
    ObjectionRoundFilter,
    QueueFilter,
    default_queue_for,
)
from compensation.admin.paginators import CappedCountPaginator
from compensation.admin.reports import report_urls
from compensation.models import Claim, ClaimState, Method
from compensation.models.claim import CLOCKS
from compensation.selectors.terms import applied_terms
from compensation.services.assessment import suggest_amount
from incidents import (
    calendar,
    converters,  # noqa: F401 - registers the <id:…> converter
    roles,
)
from incidents.admin.titles import PlainTitlesMixin
from incidents.errors import DomainError
from incidents.kst import today_kst

CLAIM_NUMBER = re.compile(r"^C-[0-9A-Z]+-\d{6,}$")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False, empty_label=_("— nobody (unassign) —")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=[roles.AGENT, roles.SUPERVISOR])
            .distinct()
            .order_by("email")
        )


NEW_UNASSIGNED_COUNT_CAP = 999


def clipped(text, whole=None):
    """A queue cell cut to its column's width by CSS, the whole text on hover."""
    return format_html('<span class="clip" title="{}">{}</span>', whole or text, text)


def queue_note(request):
    """Above "my queue": what it holds, how many new claims nobody has taken (capped count), and a link out."""
    if request.GET.get("queue") != "mine":
        return None
    new = Claim.objects.filter(assignee__isnull=True, state=ClaimState.SUBMITTED)[: NEW_UNASSIGNED_COUNT_CAP + 1]
    return {"queue_note": True, "new_unassigned": new.count(), "new_unassigned_cap": NEW_UNASSIGNED_COUNT_CAP}


def days_left_column(today, cal):
    """The "business days left" column for one request (one `today`, one calendar snapshot)."""

    @admin.display(description=_("business days left"))
    def days_left(claim):
        deadline = claim.next_deadline()
        if deadline is None or deadline[1] is None:
            return "—"
        left = selectors.business_days_left(deadline[1], today, cal)
        if deadline[1] < today:
            return format_html('<strong style="color:#b42318">{} ({})</strong>', _("overdue"), left)
        return left

    return days_left


@admin.register(Claim)
class ClaimAdmin(PlainTitlesMixin, NoRevertHistoryAdmin):
    # Fits a 1280 px screen (tests/e2e/test_admin_queue_layout.py): long names are clipped with the
    # whole text on hover (static/css/admin_queue.css); the damage type is a filter and on the case page.
    list_display = (
        "number",
        "claimant_email",
        "incident_title",
        "state",
        "assignee_name",
        "objection_round",
        "next_deadline",
        "days_left",
    )
    list_filter = (
        QueueFilter,
        "state",
        DeadlineFilter,
        AwaitingApprovalFilter,
        ConfirmationFilter,
        "incident",
        "policy",
        AssigneeFilter,
        ObjectionRoundFilter,
    )
    search_fields = ("=claimant__email", "description")
    ordering = (F("next_due_on").asc(nulls_last=True), "pk")
    sortable_by = ("number", "next_deadline", "state", "objection_round")
    list_select_related = ("claimant", "exchange_account", "incident", "policy", "assignee")
    list_per_page = 50
    show_full_result_count = False
    actions = ["assign_action"]
    change_form_template = "admin/compensation/claim/change_form.html"
    paginator = CappedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        # A claim number is the common lookup: answer it from the unique index, not a scan.
        term = search_term.strip().upper()
        if CLAIM_NUMBER.match(term):
            return queryset.filter(number=term), False
        return super().get_search_results(request, queryset, search_term)

    # --- list ------------------------------------------------------------------
    def changelist_view(self, request, extra_context=None):
        if not request.GET and default_queue_for(request.user) == "mine":
            return HttpResponseRedirect(f"{request.path}?queue=mine")
        # Only the buttons this role can use (the views still refuse the others with a 403).
        extra_context = {
            "can_export_unpaid": roles.has_role(request.user, roles.SUPERVISOR, roles.COMPLIANCE),
            "can_import_payments": roles.has_role(request.user, roles.SUPERVISOR),
            "can_record_assisted": assisted.may_record(request.user),
            **(queue_note(request) or {}),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        # "Today" belongs to this request: a column made for it, never state on this shared instance.
        column = days_left_column(today_kst(), calendar.get_calendar())
        return [column if name == "days_left" else name for name in super().get_list_display(request)]

    @admin.display(description=_("claimant"), ordering="claimant__email")
    def claimant_email(self, claim):
        return clipped(claim.contact_email)

    @admin.display(description=_("incident"))
    def incident_title(self, claim):
        return clipped(str(claim.incident))

    @admin.display(description=_("assignee"))
    def assignee_name(self, claim):
        if claim.assignee is None:
            return "—"
        return clipped(str(claim.assignee).split("@")[0], whole=str(claim.assignee))

    @admin.display(description=_("next deadline (KST)"), ordering="next_due_on")
    def next_deadline(self, claim):
        deadline = claim.next_deadline()
        if deadline is None or deadline[1] is None:
            return "—"
        return format_html(
            '<span class="nowrap">{}</span><br><small>{}</small>', f"{deadline[1]:%Y-%m-%d}", deadline[0]
        )

    @admin.display(description=_("business days left"))
    def days_left(self, claim):
        """Stands in `list_display` for the admin's checks; each request shows `days_left_column`'s."""
        return days_left_column(today_kst(), calendar.get_calendar())(claim)

    @admin.action(description=_("Assign the selected claims…"))
    def assign_action(self, request, queryset):
        if not roles.has_role(request.user, roles.SUPERVISOR):
            self.message_user(request, _("Only supervisors assign claims."), messages.ERROR)
            return None
        if "apply" in request.POST:
            form = AssignForm(request.POST)
            if form.is_valid():
                try:
                    count = services.claim_assign(
                        claims=list(queryset), actor=request.user, assignee=form.cleaned_data["assignee"]
                    )
                except DomainError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    self.message_user(request, _("%(n)d claims assigned.") % {"n": count}, messages.SUCCESS)
                return None
        else:
            form = AssignForm()
        return TemplateResponse(
            request,
            "admin/compensation/claim/assign.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign claims"),
                "form": form,
                "claims": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.opts,
            },
        )

    # --- case page ---------------------------------------------------------------
    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, *roles.ALL_ROLES)

    def has_module_permission(self, request):
        return roles.has_role(request.user, *roles.ALL_ROLES)

    def get_urls(self):
        custom = report_urls(self.admin_site) + [
            path(
                "assisted/",
                self.admin_site.admin_view(self.assisted_view),
                name="compensation_claim_assisted",
            ),
            path(
                "<id:pk>/act/<str:action>/",
                self.admin_site.admin_view(self.case_action_view),
                name="compensation_claim_action",
            ),
        ]
        return custom + super().get_urls()

    def assisted_view(self, request):
        return assisted.record_view(self, request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is not None:
            extra_context = {**(extra_context or {}), **case_context(claim, request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def case_action_view(self, request, pk, action):
        if not self.has_view_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("policy", "incident", "claimant"), pk=pk)
        spec = case_actions.ACTIONS_BY_NAME.get(action)
        if spec is None or not spec.available(claim, request.user):
            self.message_user(request, _("That action is not available for this claim now."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:compensation_claim_change", args=[pk]))
        initial = spec.initial(claim, request.user) if spec.initial else None
        form = spec.form_class(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k in ("reason",)}
            try:
                spec.run(claim, request.user, data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, _("%(action)s: done.") % {"action": spec.label}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:compensation_claim_change", args=[pk]))
        return TemplateResponse(
            request,
            "admin/compensation/claim/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{spec.label} · {claim}",
                "claim": claim,
                "form": form,
                "spec": spec,
                "opts": self.opts,
                "suggestion": suggest_amount(claim),
                "doc_url_name": "compensation:document_download",
                **case_actions.action_context(spec, claim),
            },
        )


def deadline_rows(claim):
    """Each clock the claim has started, with the day-by-day explanation of how it was counted."""
    rows = []
    today = today_kst()
    for clock in CLOCKS:
        start, days, due = (
            getattr(claim, clock.started_field),
            getattr(claim, clock.days_field),
            getattr(claim, clock.due_field),
        )
        if start is None or not days:
            continue
        running = claim.state in clock.states
        rows.append(
            {
                "label": clock.label,
                "due": due,
                "running": running,
                "start": start,
                "days": days,
                "left": selectors.business_days_left(due, today) if running else None,
                "overdue": running and due < today,
                "explanation": calendar.explain_deadline_text(start, days),
            }
        )
    return rows


def case_context(claim, user):
    return {
        "claim": claim,
        "deadlines": deadline_rows(claim),
        "suggestion": suggest_amount(claim),
        "terms": applied_terms(claim),
        "market_price": (
            selectors.executable_price(claim.incident, claim.asset)
            if claim.policy.method == Method.PRICE_DIFFERENCE and claim.reference_price_krw is None
            else None
        ),
        "affected_orders": selectors.affected_orders_of(claim.incident, claim.contact_email),
        **case_actions.action_panel(claim, user),
        **selectors.case_records(claim),
        "can_assign": roles.has_role(user, roles.SUPERVISOR),
        "assisted_intake": selectors.assisted_intake_of(claim),
        "doc_url_name": "compensation:document_download",
    }
