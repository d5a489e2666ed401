"""The yearly control review in the admin: the pack for a year, its charts, sign-off, PDF and CSV."""

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compensation import services
from compensation.admin.base import OversightPageMixin
from compensation.admin.charts import Chart, Series
from compensation.models import ControlReview
from compensation.selectors.control_review import control_review_pack, notice_hours_by_incident, review_sla_by_month
from incidents import roles
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin
from incidents.csv_safe import formula_safe_writer
from incidents.errors import DomainError
from incidents.kst import today_kst
from incidents.pdf import pdf_unavailable_reason, render_pdf


def control_review_charts(year):
    """Reviews on time / extended / late per month, and time to notice per incident against the target."""
    by_month = review_sla_by_month(year)
    months = list(range(1, 13))
    sla = Chart(
        title=_("Reviews per month: on time, extended, late"),
        categories=[f"{year}-{m:02d}" for m in months],
        series=[
            Series(_("on time"), [by_month[m]["on_time"] for m in months], "#16a34a"),
            Series(_("extended"), [by_month[m]["extended"] for m in months], "#f59e0b"),
            Series(_("late"), [by_month[m]["late"] for m in months], "#dc2626"),
        ],
        stacked=True,
    )
    delays = notice_hours_by_incident(year)
    notice = Chart(
        title=_("Time to notice per incident (hours) against the target"),
        categories=[label for label, _hours in delays],
        series=[Series(_("hours to notice"), [hours for _label, hours in delays])],
        target=settings.NOTICE_TARGET_HOURS,
        target_label=_("target %(hours)d h") % {"hours": settings.NOTICE_TARGET_HOURS},
    )
    return [sla, notice]


class SignOffForm(forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("conclusion and findings"), widget=forms.Textarea(attrs={"rows": 4, "cols": 90})
    )


def _year(request):
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today_kst().year - 1)
    except ValueError:
        year = today_kst().year - 1
    return min(max(year, 2000), today_kst().year)


def _pack(year):
    """(the sign-off or None, the sections): frozen once signed off, live before."""
    review = ControlReview.objects.filter(year=year).select_related("signed_off_by").first()
    return review, (review.pack if review else control_review_pack(year))


@admin.register(ControlReview)
class ControlReviewAdmin(PlainTitlesMixin, BoundedAdminMixin, OversightPageMixin, admin.ModelAdmin):
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("pdf/", view(self.pdf_view), name="compensation_controlreview_pdf"),
            path("csv/", view(self.csv_view), name="compensation_controlreview_csv"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)  # None for an unknown or malformed id
        url = reverse("admin:compensation_controlreview_changelist")
        return HttpResponseRedirect(f"{url}?year={review.year}" if review else url)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        year = _year(request)
        form = SignOffForm()
        if request.method == "POST" and roles.has_role(request.user, roles.COMPLIANCE):
            form = SignOffForm(request.POST)
            if form.is_valid():
                try:
                    services.control_review_sign_off(
                        year=year, actor=request.user, conclusion=form.cleaned_data["conclusion"]
                    )
                except DomainError as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    self.message_user(request, _("The review is signed off; its figures are frozen."), messages.SUCCESS)
                    return HttpResponseRedirect(f"{request.path}?year={year}")
        review, sections = _pack(year)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Yearly control review %(year)d") % {"year": year},
            "year": year,
            "years": list(range(today_kst().year, today_kst().year - 6, -1)),
            "review": review,
            "sections": sections,
            "charts": control_review_charts(year),
            "form": form if review is None and roles.has_role(request.user, roles.COMPLIANCE) else None,
            "pdf_problem": pdf_unavailable_reason(),
        }
        return TemplateResponse(request, "admin/compensation/reports/control_review.html", context)

    def pdf_view(self, request, **kwargs):
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        year = _year(request)
        review, sections = _pack(year)
        try:
            data = render_pdf(
                "pdf/control_review.html", {"year": year, "review": review, "sections": sections}, request=request
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(f"{reverse('admin:compensation_controlreview_changelist')}?year={year}")
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="control-review-{year}.pdf"'
        return response

    def csv_view(self, request, **kwargs):
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        year = _year(request)
        review, sections = _pack(year)
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = formula_safe_writer(buffer)  # conclusions and reasons are typed text
        writer.writerow([_("Yearly control review %(year)d") % {"year": year}])
        if review:
            writer.writerow([_("signed off by"), review.signed_off_by.get_username(), review.signed_off_at.isoformat()])
            writer.writerow([_("conclusion and findings"), review.conclusion])
        for section in sections:
            writer.writerow([])
            writer.writerow([section["title"]])
            writer.writerow(section["columns"])
            writer.writerows(section["rows"])
            if section.get("note"):
                writer.writerow([section["note"]])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="control-review-{year}.csv"'
        return response
