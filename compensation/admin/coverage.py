"""Coverage against liabilities in the admin: policies, the monthly check, exposure per incident, a chart."""

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compensation import services
from compensation.admin.base import OversightPageMixin
from compensation.admin.charts import Chart, Series
from compensation.models import CoverageBasis, CoverageSnapshot, InsurancePolicy, LicenceType
from compensation.selectors.exposure import exposure_by_incident
from incidents import roles
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin, BoundedFormMixin, parse_id
from incidents.errors import DomainError


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    list_display = (
        "insurer",
        "policy_number",
        "starts_on",
        "ends_on",
        "aggregate_limit_krw",
        "per_incident_limit_krw",
    )
    fields = (
        "insurer",
        "policy_number",
        "starts_on",
        "ends_on",
        "aggregate_limit_krw",
        "per_incident_limit_krw",
        "covers",
    )

    def has_module_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)

    def has_add_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE)

    def has_change_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE)

    def has_delete_permission(self, request, obj=None):
        return False  # monthly checks quote the policies they counted

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class RecordForm(BoundedFormMixin, forms.Form):
    month = forms.DateField(label=gettext_lazy("month (any day of it)"))
    as_of = forms.DateField(label=gettext_lazy("computed as of (default: month end)"), required=False)
    basis_value_krw = forms.IntegerField(label=gettext_lazy("value of the basis (KRW)"), min_value=0)
    reserve_krw = forms.IntegerField(label=gettext_lazy("reserve (KRW)"), min_value=0)
    licence_type = forms.ChoiceField(label=gettext_lazy("licence type"), choices=LicenceType.choices)


class FixForm(BoundedFormMixin, forms.Form):
    reserve_krw = forms.IntegerField(label=gettext_lazy("reserve now (KRW)"), min_value=0)
    note = forms.CharField(label=gettext_lazy("how it was fixed"), max_length=1000)


def coverage_chart(snapshots, exposure_rows):
    """Per checked month: the required amount, the per-incident cover, and the largest incident exposure that month."""
    months = sorted(snapshots, key=lambda s: s.month)
    largest = {}
    for row in exposure_rows:
        key = row["incident"].incident_date.replace(day=1)
        largest[key] = max(largest.get(key, 0), row["exposure_krw"])
    return Chart(
        title=_("Exposure against coverage by month"),
        categories=[f"{s.month:%Y-%m}" for s in months],
        series=[
            Series(_("required"), [s.required_krw for s in months]),
            Series(_("cover per incident"), [s.covered_krw for s in months]),
            Series(_("largest incident exposure"), [largest.get(s.month, 0) for s in months]),
        ],
        unit=" KRW",
    )


@admin.register(CoverageSnapshot)
class CoverageSnapshotAdmin(PlainTitlesMixin, BoundedAdminMixin, OversightPageMixin, admin.ModelAdmin):
    """The changelist is the coverage page: checks, the form to record one, exposure and the chart."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:compensation_coveragesnapshot_changelist"))

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        is_compliance = roles.has_role(request.user, roles.COMPLIANCE)
        record_form = RecordForm(initial={"licence_type": settings.COVERAGE_LICENCE})
        if request.method == "POST" and is_compliance:
            action = request.POST.get("action")
            try:
                if action == "record":
                    record_form = RecordForm(request.POST)
                    if record_form.is_valid():
                        data = record_form.cleaned_data
                        services.coverage_record(actor=request.user, **data)
                        self.message_user(request, _("The monthly check is recorded."), messages.SUCCESS)
                        return HttpResponseRedirect(request.path)
                elif action == "fix":
                    snapshot = get_object_or_404(CoverageSnapshot, pk=parse_id(request.POST.get("snapshot")))
                    fix_form = FixForm(request.POST)
                    if fix_form.is_valid():
                        services.coverage_fix(snapshot=snapshot, actor=request.user, **fix_form.cleaned_data)
                        self.message_user(request, _("The shortfall is recorded as fixed."), messages.SUCCESS)
                        return HttpResponseRedirect(request.path)
                    self.message_user(request, _("Give the reserve and how it was fixed."), messages.ERROR)
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)
        snapshots = list(CoverageSnapshot.objects.select_related("recorded_by", "fixed_by")[:36])
        exposure_rows, aggregates = exposure_by_incident()
        today = date.today()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Coverage against liabilities"),
            "basis_label": CoverageBasis(settings.COVERAGE_BASIS).label,
            "licence_label": LicenceType(settings.COVERAGE_LICENCE).label,
            "warning_percent": settings.COVERAGE_WARNING_PERCENT,
            "snapshots": snapshots,
            "record_form": record_form if is_compliance else None,
            "fix_form": FixForm() if is_compliance else None,
            "exposure_rows": exposure_rows,
            "aggregates": aggregates,
            "policies": InsurancePolicy.objects.order_by("-starts_on")[:20],
            "today": today,
            "chart": coverage_chart(snapshots, exposure_rows),
        }
        return TemplateResponse(request, "admin/compensation/reports/coverage.html", context)
