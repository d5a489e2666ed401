from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationPolicy, Exclusion, IncidentPolicyOverride, PolicyVersion, RequiredDocument
from compensation.services import policies as policy_services
from incidents import roles
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin, BoundedFormMixin
from incidents.errors import DomainError


class PolicyForm(BoundedFormMixin, forms.ModelForm):
    exclusions = forms.MultipleChoiceField(
        label=_("Exclusions shown on the claim form"),
        choices=Exclusion.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Recorded with the new version of the terms. Published notices keep the terms they were "
            "published with; a notice revision publishes the new ones."
        ),
    )

    class Meta:
        model = CompensationPolicy
        fields = "__all__"

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == "fixed_amount" and not data.get("fixed_amount_krw"):
            self.add_error("fixed_amount_krw", _("A fixed-amount policy needs the amount."))
        if method == "interest" and not data.get("annual_interest_rate_bp"):
            self.add_error("annual_interest_rate_bp", _("An interest policy needs the annual rate."))
        if self.instance.pk and self.has_changed() and not (data.get("change_reason") or "").strip():
            self.add_error("change_reason", _("Say why the terms change; the reason is kept with the new version."))
        return data


class RequiredDocumentInline(BoundedAdminMixin, admin.TabularInline):
    model = RequiredDocument
    extra = 1
    fields = ("position", "name", "description")


class PolicyVersionInline(BoundedAdminMixin, admin.TabularInline):
    model = PolicyVersion
    extra = 0
    can_delete = False
    fields = (
        "number",
        "created_at",
        "created_by",
        "method",
        "cap_krw",
        "fixed_amount_krw",
        "annual_interest_rate_bp",
        "reason",
    )
    readonly_fields = fields
    ordering = ("-number",)
    verbose_name_plural = _("versions of the terms (kept forever)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CompensationPolicy)
class CompensationPolicyAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    form = PolicyForm
    list_display = ("name", "incident_type", "damage_type", "method", "cap_krw", "is_active")
    list_filter = ("incident_type", "damage_type", "method", "is_active")
    search_fields = ("name", "criteria")
    inlines = [RequiredDocumentInline, PolicyVersionInline]

    def changeform_view(self, request, *args, **kwargs):
        # One edit (the policy and its document rows) is one version, recorded in save_related.
        with policy_services.versions_deferred():
            return super().changeform_view(request, *args, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        policy_services.policy_version_record(
            policy=form.instance, actor=request.user, reason=form.cleaned_data.get("change_reason", "")
        )

    def has_delete_permission(self, request, obj=None):
        return False  # claims refer to policies; retire one with "active" instead

    def has_change_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_add_permission(request)


class OverrideForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = IncidentPolicyOverride
        fields = ("incident", "policy", "cap_krw", "criteria_note", "reason")

    def clean(self):
        data = super().clean()
        incident, policy = data.get("incident"), data.get("policy")
        if incident and policy and incident.incident_type != policy.incident_type:
            self.add_error("policy", _("This policy does not apply to the incident's type."))
        return data


@admin.register(IncidentPolicyOverride)
class IncidentPolicyOverrideAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    """Different terms for one incident (a higher cap, a note) without touching the global policy."""

    form = OverrideForm
    list_display = ("incident", "policy", "cap_krw", "updated_by", "updated_at")
    list_filter = ("policy__incident_type",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        try:
            policy_services.policy_override_set(
                incident=obj.incident,
                policy=obj.policy,
                actor=request.user,
                reason=obj.reason,
                cap_krw=obj.cap_krw,
                criteria_note=obj.criteria_note,
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_add_permission(request)
