from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from compensation.models import CompensationPolicy, Exclusion, RequiredDocument
from incidents import roles


class PolicyForm(forms.ModelForm):
    exclusions = forms.MultipleChoiceField(
        label=_("Exclusions shown on the claim form"),
        choices=Exclusion.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
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
        return data


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 1
    fields = ("position", "name", "description")


@admin.register(CompensationPolicy)
class CompensationPolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = ("name", "incident_type", "damage_type", "method", "cap_krw", "is_active")
    list_filter = ("incident_type", "damage_type", "method", "is_active")
    search_fields = ("name", "criteria")
    inlines = [RequiredDocumentInline]

    def has_delete_permission(self, request, obj=None):
        return False  # claims refer to policies; retire one with "active" instead

    def has_change_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE) and super().has_add_permission(request)
