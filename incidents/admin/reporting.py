"""Staff admin for regulator reporting: the checklist, deadline rules, decisions and reports.

Every button is a small form that calls `incidents.reporting`; refusals come back as
messages on the same page, never a 500. PDFs need WeasyPrint: without it the page says
what to install instead of linking a PDF.
"""

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents import reporting, roles
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin, BoundedFormMixin, parse_id
from incidents.csv_safe import formula_safe_writer
from incidents.errors import DomainError
from incidents.kst import KST
from incidents.models import (
    Incident,
    IncidentReport,
    IncidentReportAttachment,
    ReportabilityCriterion,
    ReportChannel,
    ReportDeadlineRule,
    ReportKind,
    ReportState,
    WithdrawalBlock,
)
from incidents.pdf import pdf_unavailable_reason

STAFF = roles.ALL_ROLES


class WithdrawalBlockInline(BoundedAdminMixin, admin.StackedInline):
    """입출금 차단 records on the incident page; a notice after the block began is flagged."""

    model = WithdrawalBlock
    extra = 0
    can_delete = False
    fields = (
        "started_at",
        "ended_at",
        "scope",
        "legal_ground",
        "ground_detail",
        "users_notified_at",
        "notice_channel",
        "notice_flag",
    )
    readonly_fields = ("notice_flag",)
    verbose_name_plural = _("deposit/withdrawal blocks (입출금 차단)")

    @admin.display(description=_("notice to users"))
    def notice_flag(self, obj):
        if obj.pk is None:
            return "—"
        if obj.notice_after_block:
            return format_html(
                '<strong style="color:#b42318">⚠ {}</strong>',
                gettext("users were not told before the block began"),
            )
        return gettext("told in advance")

    def has_add_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)

    def has_change_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)


@admin.register(ReportabilityCriterion)
class ReportabilityCriterionAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    list_display = ("text", "position", "active", "is_example", "updated_at", "updated_by")
    list_editable = ("position", "active")
    list_filter = ("active", "is_example")
    fields = ("text", "guidance", "position", "active", "is_example")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # decisions quote the criteria they were answered against; retire one by unticking "in use"


@admin.register(ReportDeadlineRule)
class ReportDeadlineRuleAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    list_display = (
        "kind",
        "incident_type",
        "severity",
        "anchor",
        "offset_hours",
        "offset_business_days",
        "active",
        "is_example",
    )
    list_filter = ("kind", "active", "is_example")
    fields = (
        "kind",
        "incident_type",
        "severity",
        "anchor",
        "offset_hours",
        "offset_business_days",
        "basis",
        "active",
        "is_example",
    )

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # reports name the rule that set their due time


class DecideForm(forms.Form):
    reportable = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Reportable: report to the regulator")), ("no", _("Not reported"))],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
    )
    met = forms.MultipleChoiceField(label=_("Criteria met"), required=False, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["met"].choices = [(str(c.pk), c.text + (" *" if c.is_example else "")) for c in criteria]


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))


class PrepareForm(forms.Form):
    kind = forms.ChoiceField(label=_("report kind"), choices=ReportKind.choices)


class ReportEditForm(forms.Form):
    summary = forms.CharField(
        label=_("summary for the regulator"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )
    recipient = forms.CharField(label=_("recipient"), required=False, max_length=200)
    channel = forms.ChoiceField(label=_("channel"), required=False, choices=[("", "—"), *ReportChannel.choices])


class SubmitForm(BoundedFormMixin, forms.Form):
    submitted_at = forms.DateTimeField(label=_("submitted at (KST)"))
    recipient = forms.CharField(label=_("recipient"), max_length=200)
    channel = forms.ChoiceField(label=_("channel"), choices=ReportChannel.choices)
    reference_number = forms.CharField(label=_("reference number"), required=False, max_length=100)


class AttachmentForm(forms.Form):
    upload = forms.FileField(label=_("file"))
    description = forms.CharField(label=_("description"), required=False, max_length=300)


def _report_csv(report):
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 Korean with a BOM
    writer = formula_safe_writer(buffer)
    writer.writerow([gettext("field"), gettext("value")])
    writer.writerows(reporting.csv_rows(report))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="incident-{report.incident_id}-report-{report.pk}.csv"'
    return response


@admin.register(IncidentReport)
class IncidentReportAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    list_display = ("incident", "kind", "state", "due_at", "overdue_flag", "submitted_at", "reference_number")
    list_filter = ("state", "kind")
    list_select_related = ("incident",)
    search_fields = ("incident__title", "reference_number")
    date_hierarchy = "due_at"
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("on time"))
    def overdue_flag(self, obj):
        if obj.submitted_late or obj.is_overdue():
            return format_html('<strong style="color:#b42318">⚠ {}</strong>', gettext("late"))
        return "✓" if obj.state == ReportState.SUBMITTED else "—"

    def has_add_permission(self, request):
        return False  # prepared from the incident's reporting page

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("incident/<int:incident_pk>/", view(self.reporting_view), name="incidents_incident_reporting"),
            path("<int:pk>/pdf/", view(self.pdf_view), name="incidents_incidentreport_pdf"),
            path("<int:pk>/csv/", view(self.csv_view), name="incidents_incidentreport_csv"),
            path("attachment/<int:pk>/", view(self.attachment_view), name="incidents_incidentreport_attachment"),
            *super().get_urls(),
        ]

    # --- helpers ---------------------------------------------------------------
    def _require_staff(self, request):
        if not roles.has_role(request.user, *STAFF):
            raise PermissionDenied

    def _run(self, request, call, success):
        try:
            call()
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, success, messages.SUCCESS)
        return True

    def _context(self, request, **context):
        return {**self.admin_site.each_context(request), "opts": self.opts, **context}

    # --- the incident's reporting page -----------------------------------------------
    def reporting_view(self, request, incident_pk):
        self._require_staff(request)
        incident = get_object_or_404(Incident, pk=incident_pk)
        criteria = reporting.active_criteria()
        pending = reporting.pending_decision(incident)
        decide_form = DecideForm(criteria=criteria)
        if request.method == "POST":
            action = request.POST.get("action")
            done = False
            if action == "decide":
                decide_form = DecideForm(request.POST, criteria=criteria)
                done = self._decide(request, incident, decide_form)
            elif action in ("approve", "reject") and pending is not None:
                done = self._review(request, pending, approve=action == "approve")
            elif action == "prepare":
                done = self._prepare(request, incident)
            if done:
                return HttpResponseRedirect(request.path)
        context = self._reporting_context(request, incident, criteria, pending, decide_form)
        return TemplateResponse(request, "admin/incidents/incidentreport/reporting.html", context)

    def _decide(self, request, incident, form):
        if not form.is_valid():
            return False
        data = form.cleaned_data
        return self._run(
            request,
            lambda: reporting.reportability_decide(
                incident=incident,
                actor=request.user,
                reportable=data["reportable"],
                met_criteria=data["met"],
                reason=data["reason"],
            ),
            gettext("The decision is recorded; a second person approves it."),
        )

    def _review(self, request, pending, *, approve):
        form = ReviewForm(request.POST)
        form.is_valid()
        note = form.cleaned_data.get("note", "")
        service = reporting.reportability_approve if approve else reporting.reportability_reject
        return self._run(
            request,
            lambda: service(decision=pending, actor=request.user, note=note),
            gettext("The decision is approved.") if approve else gettext("The decision is rejected."),
        )

    def _prepare(self, request, incident):
        form = PrepareForm(request.POST)
        if not form.is_valid():
            return False
        return self._run(
            request,
            lambda: reporting.report_prepare(incident=incident, actor=request.user, kind=form.cleaned_data["kind"]),
            gettext("The report is drafted."),
        )

    def _reporting_context(self, request, incident, criteria, pending, decide_form):
        user = request.user
        is_decider = roles.has_role(user, *reporting.DECIDERS)
        can_review = (
            pending is not None and roles.has_role(user, *reporting.APPROVERS) and pending.decided_by_id != user.pk
        )
        return self._context(
            request,
            title=gettext("Regulator reporting: %(incident)s") % {"incident": incident},
            incident=incident,
            criteria=criteria,
            in_force=reporting.decision_in_force(incident),
            pending=pending,
            decisions=incident.reportability_decisions.select_related("decided_by", "reviewed_by"),
            reports=incident.reports.select_related("prepared_by", "approved_by", "due_rule"),
            blocks=incident.withdrawal_blocks.all(),
            decide_form=decide_form if is_decider and pending is None else None,
            can_review=can_review,
            review_form=ReviewForm(),
            prepare_form=PrepareForm() if is_decider else None,
            pdf_problem=pdf_unavailable_reason(),
            now=timezone.now(),
            change_url=reverse("admin:incidents_incident_change", args=[incident.pk]),
        )

    # --- one report ------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_staff(request)
        report = get_object_or_404(
            IncidentReport.objects.select_related("incident", "prepared_by", "approved_by", "submitted_by"),
            pk=parse_id(unquote(object_id)) or 0,  # "abc" or 20 digits: a 404, not a query error
        )
        forms_shown = _unbound_report_forms(report)
        if request.method == "POST" and self._report_action(request, report, forms_shown):
            return HttpResponseRedirect(request.path)
        context = self._report_context(request, report, forms_shown)
        return TemplateResponse(request, "admin/incidents/incidentreport/report.html", context)

    def _report_action(self, request, report, forms_shown):
        """Run the posted button; a bound form that fails validation replaces the blank one in `forms_shown`."""
        action = request.POST.get("action")
        user = request.user
        if action == "refresh":
            return self._run(
                request,
                lambda: reporting.report_refresh_snapshot(report=report, actor=user),
                gettext("The snapshot is taken again."),
            )
        if action == "approve":
            return self._run(
                request,
                lambda: reporting.report_approve(report=report, actor=user),
                gettext("The report is approved and frozen."),
            )
        form_actions = {
            "edit": ("edit", ReportEditForm, reporting.report_update, gettext("The report is saved.")),
            "submit": ("submit", SubmitForm, reporting.report_submit, gettext("The submission is recorded.")),
            "attach": ("attachment", AttachmentForm, reporting.report_add_attachment, gettext("The file is attached.")),
        }
        if action not in form_actions:
            return False
        name, form_class, service, success = form_actions[action]
        form = forms_shown[name] = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return False
        return self._run(request, lambda: service(report=report, actor=user, **form.cleaned_data), success)

    def _report_context(self, request, report, forms_shown):
        user = request.user
        is_decider = roles.has_role(user, *reporting.DECIDERS)
        state = report.state
        return self._context(
            request,
            title=str(report),
            report=report,
            original=report,
            snapshot_rows=reporting.csv_rows(report),
            events=report.events.select_related("actor"),
            attachments=report.attachments.select_related("uploaded_by"),
            edit_form=forms_shown["edit"] if is_decider and state == ReportState.DRAFT else None,
            can_refresh=is_decider and state == ReportState.DRAFT,
            can_approve=state == ReportState.DRAFT
            and roles.has_role(user, *reporting.APPROVERS)
            and report.prepared_by_id != user.pk,
            submit_form=forms_shown["submit"] if is_decider and state == ReportState.APPROVED else None,
            attachment_form=forms_shown["attachment"] if is_decider and state != ReportState.SUBMITTED else None,
            pdf_problem=pdf_unavailable_reason(),
            reporting_url=reverse("admin:incidents_incident_reporting", args=[report.incident_id]),
        )

    def pdf_view(self, request, pk):
        self._require_staff(request)
        report = get_object_or_404(IncidentReport.objects.select_related("incident"), pk=pk)
        try:
            data = reporting.render_report_pdf(report)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:incidents_incidentreport_change", args=[pk]))
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="incident-{report.incident_id}-report-{pk}.pdf"'
        return response

    def csv_view(self, request, pk):
        self._require_staff(request)
        return _report_csv(get_object_or_404(IncidentReport.objects.select_related("incident"), pk=pk))

    def attachment_view(self, request, pk):
        self._require_staff(request)
        attachment = get_object_or_404(IncidentReportAttachment, pk=pk)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


def _unbound_report_forms(report):
    """The report page's forms as first shown: filled in from the report (submission time: now, in KST)."""
    now_kst = timezone.now().astimezone(KST).replace(second=0, microsecond=0, tzinfo=None)
    return {
        "edit": ReportEditForm(
            initial={"summary": report.summary, "recipient": report.recipient, "channel": report.channel}
        ),
        "submit": SubmitForm(
            initial={
                "submitted_at": now_kst,
                "recipient": report.recipient,
                "channel": report.channel,
                "reference_number": report.reference_number,
            }
        ),
        "attachment": AttachmentForm(),
    }


def reporting_link(*, incident, user):
    """The incident page links to its reporting page (a link hook, like compensation's)."""
    if not roles.has_role(user, *STAFF):
        return []
    return [(gettext("Regulator reporting"), reverse("admin:incidents_incident_reporting", args=[incident.pk]))]
