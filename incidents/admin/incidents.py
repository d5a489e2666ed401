"""Staff admin for incidents and their public notices.

State is never edited as a field: every change goes through `incidents.services`, from
buttons on the incident page (transitions) and from the notice editor (publishing).
Refusals (`DomainError`) come back as admin error messages or form errors, never a 500.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents import converters, legal, services  # noqa: F401 - converters registers <id:…>
from incidents.admin import actions
from incidents.admin.reporting import WithdrawalBlockInline
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin, BoundedFormMixin, parse_id
from incidents.errors import DomainError
from incidents.kst import today_kst
from incidents.models import Incident, IncidentEvent, IncidentState, Notice, NoticeVersion, WithdrawalBlock
from incidents.panels import admin_links, render_panels
from incidents.selectors import current_notice_version
from incidents.templatetags.incident_tags import hours_minutes

INCIDENT_FIELDS = (
    "title",
    "incident_type",
    "severity",
    "affected_services",
    "started_at",
    "ended_at",
    "detected_at",
    "root_cause_category",
    "root_cause",
    "actions_taken",
    "estimated_affected_users",
)
KST_HELP = _("Korean time (KST).")


class IncidentEventInline(BoundedAdminMixin, admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_label", "to_label", "actor", "reason")
    readonly_fields = fields
    verbose_name_plural = _("state changes")

    @admin.display(description=_("from"))
    def from_label(self, obj):
        return obj.from_state_label

    @admin.display(description=_("to"))
    def to_label(self, obj):
        return obj.to_state_label

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoticeVersionInline(BoundedAdminMixin, admin.TabularInline):
    model = NoticeVersion
    extra = 0
    can_delete = False
    fields = ("number", "published_at", "published_by", "effective_intake_ends_on", "change_summary")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IncidentForm(BoundedFormMixin, forms.ModelForm):
    """Validation asks `services.incident_check` (it writes nothing), so a refusal is a form error on the
    same page; `IncidentAdmin.save_model` then writes through `incident_create` / `incident_update`."""

    class Meta:
        model = Incident
        fields = INCIDENT_FIELDS

    request = None  # set by IncidentAdmin.get_form

    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required once the notice is published: every correction is kept with old and new values."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("started_at", "ended_at", "detected_at"):
            if name in self.fields:
                self.fields[name].help_text = KST_HELP

    def service_fields(self):
        return {name: self.cleaned_data[name] for name in INCIDENT_FIELDS if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # clean() runs before the form copies its data onto the instance: this is the stored incident.
        stored = self.instance if self.instance.pk else None
        try:
            services.incident_check(
                actor=self.request.user,
                incident=stored,
                reason=self.cleaned_data.get("change_reason", "") if stored else None,
                **self.service_fields(),
            )
        except DomainError as error:
            raise ValidationError(str(error)) from error
        return cleaned


@admin.register(Incident)
class IncidentAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    form = IncidentForm
    list_display = (
        "title",
        "incident_type",
        "severity",
        "state",
        "started_at",
        "notice_delay_display",
        "intake_ends_on",
    )
    list_filter = ("state", "incident_type", "severity")
    search_fields = ("title", "affected_services", "root_cause")
    date_hierarchy = "started_at"
    list_per_page = 50
    # A COUNT(*) over the whole table on every page is what makes big admin lists slow.
    show_full_result_count = False
    inlines = [NoticeVersionInline, WithdrawalBlockInline, IncidentEventInline]
    actions = ["close_intake_action"]
    change_form_template = "admin/incidents/incident/change_form.html"

    # --- fields -------------------------------------------------------------
    def get_fields(self, request, obj=None):
        if obj is None:
            return INCIDENT_FIELDS
        return (
            "state",
            "notice_delay_display",
            "intake_ends_on",
            *INCIDENT_FIELDS,
            "change_reason",
            "created_by",
            "created_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["state", "notice_delay_display", "intake_ends_on", "created_by", "created_at"]
        if obj.state != IncidentState.DETECTED:
            readonly += ["started_at", "detected_at"]  # they fix the published intake period
        if obj.notice_first_posted_at is not None:
            readonly += ["incident_type"]  # the published notice and its criteria rest on it
        if obj.state in (IncidentState.CLOSED, IncidentState.DISMISSED):
            readonly = [name for name in self.get_fields(request, obj) if name != "change_reason"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    @admin.display(description=_("notice delay"))
    def notice_delay_display(self, obj):
        delay = obj.notice_delay
        if delay is None:
            if obj.state == IncidentState.DETECTED and obj.notice_was_late:
                return format_html('<strong style="color:#b42318">⚠ {}</strong>', gettext("no notice, target passed"))
            return "—"
        if obj.notice_was_late:
            return format_html(
                '<strong style="color:#b42318">⚠ {} ({})</strong>', hours_minutes(delay), gettext("later than target")
            )
        return hours_minutes(delay)

    # --- saving goes through the services --------------------------------------
    def save_model(self, request, obj, form, change):
        if change:
            saved = services.incident_update(
                incident=Incident(pk=obj.pk),
                actor=request.user,
                reason=form.cleaned_data.get("change_reason", ""),
                **form.service_fields(),
            )
        else:
            saved = services.incident_create(actor=request.user, **form.service_fields())
        obj.pk = saved.pk
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            # The incident changed between the form's check and the save (another editor): say so.
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept; a mistaken incident is dismissed instead

    def get_inlines(self, request, obj):
        # Blocks are recorded against an incident that exists; the add form stays the incident alone.
        return self.inlines if obj is not None else [i for i in self.inlines if i is not WithdrawalBlockInline]

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if isinstance(instance, WithdrawalBlock) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        formset.save_m2m()

    # --- buttons ---------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<id:pk>/notice/", view(self.notice_editor_view), name="incidents_incident_notice"),
            path("<id:pk>/transition/<str:action>/", view(self.transition_view), name="incidents_incident_transition"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if incident is not None:
            extra_context.update(
                incident_transitions=actions.allowed_transitions(incident, request.user),
                can_open_notice_editor=self.has_view_permission(request, incident),
                notice_actions=actions.notice_actions(incident, request.user),
                public_url=reverse("incidents:detail", args=[incident.pk])
                if current_notice_version(incident)
                else None,
                extra_links=admin_links(incident=incident, user=request.user),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _incident_or_404(self, request, pk):
        incident = get_object_or_404(Incident, pk=pk)
        if not self.has_view_permission(request, incident):
            raise PermissionDenied
        return incident

    def _change_url(self, incident):
        return reverse("admin:incidents_incident_change", args=[incident.pk])

    def transition_view(self, request, pk, action):
        incident = self._incident_or_404(request, pk)
        transition = actions.TRANSITIONS.get(action)
        if transition is None:
            raise Http404
        form = TransitionForm(request.POST or None, reason_required=transition.reason_required)
        if request.method == "POST" and form.is_valid():
            try:
                transition.service(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                incident.refresh_from_db()
                self.message_user(
                    request,
                    gettext("%(incident)s is now %(state)s.")
                    % {"incident": incident, "state": incident.get_state_display()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(incident))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": incident,
            "title": f"{transition.label}: {incident}",
            "transition": transition,
            "form": form,
            "change_url": self._change_url(incident),
        }
        return TemplateResponse(request, "admin/incidents/incident/transition.html", context)

    def notice_editor_view(self, request, pk):
        incident = self._incident_or_404(request, pk)
        notice = Notice.objects.get_or_create(incident=incident)[0]
        can_edit = actions.can_edit_notice(request.user) and incident.state not in (
            IncidentState.CLOSED,
            IncidentState.DISMISSED,
        )
        publish_actions = actions.notice_actions(incident, request.user)
        form = NoticeEditorForm(request.POST or None, instance=notice)
        if not can_edit:
            for field in form.fields.values():
                field.disabled = True
        preview_html = None
        intake = services.legal_intake_end(incident)
        intake_end = incident.intake_ends_on or max(intake.end, notice.intake_ends_on or intake.end)
        if request.method == "POST":
            if not can_edit:
                raise PermissionDenied
            if form.is_valid():
                response, preview_html = self._notice_editor_post(request, incident, form, publish_actions)
                if response is not None:
                    return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": incident,
            "incident": incident,
            "title": gettext("Notice: %(incident)s") % {"incident": incident},
            "form": form,
            "can_edit": can_edit,
            "publish_actions": publish_actions,
            "missing": notice.missing_sections() if not form.is_bound else None,
            "preview_html": preview_html,
            "legal_intake_end": intake.end,
            "intake": intake,
            "intake_end": intake_end,
            "intake_days_left": max(0, (intake_end - today_kst()).days + 1),
            "notice_late": incident.state == IncidentState.DETECTED and services.notice_is_late(incident),
            "notice_target_hours": legal.notice_target_hours(),
            "current_version": current_notice_version(incident),
            "change_url": self._change_url(incident),
            "public_url": reverse("incidents:detail", args=[incident.pk]),
        }
        return TemplateResponse(request, "admin/incidents/incident/notice_editor.html", context)

    def _notice_editor_post(self, request, incident, form, publish_actions):
        """Returns (redirect or None, preview html or None)."""
        sections = form.section_data()
        summary = form.cleaned_data["change_summary"]
        try:
            if "_preview" in request.POST:
                return None, self._render_preview(request, incident, sections)
            if "_revise" in request.POST and "revise" in publish_actions:
                version = services.notice_revise(
                    incident=incident,
                    actor=request.user,
                    change_summary=summary,
                    applies_to_filed_claims=form.cleaned_data.get("applies_to_filed_claims", False),
                    **sections,
                )
                message = gettext("Version %(n)d of the notice is published.") % {"n": version.number}
            else:
                # The draft is saved first so a refused publication keeps the staff's text.
                services.notice_save_draft(incident=incident, actor=request.user, **sections)
                message = gettext("The draft is saved. Nothing public has changed.")
                if "_publish" in request.POST and "publish" in publish_actions:
                    services.notice_publish(
                        incident=incident,
                        actor=request.user,
                        change_summary=summary,
                        delay_reason=form.cleaned_data["delay_reason"],
                    )
                    message = gettext("The notice is published and claims are open.")
        except DomainError as error:
            form.add_error(None, str(error))
            self.message_user(request, str(error), messages.ERROR)
            return None, None
        self.message_user(request, message, messages.SUCCESS)
        if "_publish" in request.POST or "_revise" in request.POST:
            return HttpResponseRedirect(self._change_url(incident)), None
        return HttpResponseRedirect(request.path), None

    def _render_preview(self, request, incident, sections):
        # An unsaved version shows exactly what publishing would put on the public page.
        last = current_notice_version(incident)
        version = NoticeVersion(
            incident=incident,
            number=(last.number + 1) if last else 1,
            intake_starts_on=incident.incident_date,
            effective_intake_ends_on=services.effective_intake_end(incident, sections["intake_ends_on"]),
            **sections,
        )
        version.take_facts(incident)
        version.generate_intake_period()
        return render_to_string(
            "incidents/incident_detail.html",
            {
                "incident": incident,
                "version": version,
                "is_current": True,
                "preview": True,
                "panels": render_panels(incident=incident, version=version, request=request, preview=True),
            },
            request=request,
        )

    # --- bulk action -----------------------------------------------------------
    @admin.action(description=_("Close intake of the selected incidents"))
    def close_intake_action(self, request, queryset):
        for incident in queryset:
            try:
                services.incident_close_intake(incident=incident, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{incident}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{incident}: {gettext('intake closed')}", messages.SUCCESS)


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, reason_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class NoticeEditorForm(BoundedFormMixin, forms.ModelForm):
    delay_reason = forms.CharField(
        label=_("Reason the notice is late"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to publish later than the target after detection; shown in the incident register."),
    )
    change_summary = forms.CharField(
        label=_("What changed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a revision; shown in the public change history."),
    )
    applies_to_filed_claims = forms.BooleanField(
        label=_("Changed compensation terms apply to claims already filed"),
        required=False,
        help_text=_(
            "Revisions only. Without it, claims already filed keep the terms they were filed under unless "
            "the new ones are more favourable to them. Say so in “What changed”."
        ),
    )

    class Meta:
        model = Notice
        fields = (
            "description",
            "claim_procedure",
            "intake_period_note",
            "compensation_criteria",
            "intake_ends_on",
            "objection_window_business_days",
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 6, "cols": 80})
            for name in ("description", "claim_procedure", "intake_period_note", "compensation_criteria")
        }

    def section_data(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


@admin.register(Notice)
class NoticeAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    """Drafts are edited only in the notice editor, which publishes through the services."""

    list_display = ("incident", "incident_state", "updated_at", "updated_by", "editor_link")
    list_select_related = ("incident", "updated_by")
    search_fields = ("incident__title",)
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("state"))
    def incident_state(self, obj):
        return obj.incident.get_state_display()

    @admin.display(description=_("editor"))
    def editor_link(self, obj):
        url = reverse("admin:incidents_incident_notice", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, gettext("Open the notice editor"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notice = get_object_or_404(Notice, pk=parse_id(unquote(object_id)) or 0)
        return HttpResponseRedirect(reverse("admin:incidents_incident_notice", args=[notice.incident_id]))

    def has_add_permission(self, request):
        return False  # incident_create makes the draft

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NoticeVersion)
class NoticeVersionAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    """Published versions are kept forever and never change."""

    list_display = ("incident", "number", "published_at", "published_by", "effective_intake_ends_on")
    list_select_related = ("incident", "published_by")
    search_fields = ("incident__title",)
    date_hierarchy = "published_at"
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
