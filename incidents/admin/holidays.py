"""Holiday admin: the table every deadline is counted from.

Only the compliance role (or a superuser) may add, change or remove rows, and only through
`incidents.services.holiday_add / holiday_change / holiday_remove`, with a reason: every edit
is a `HolidayChange` row, and one touching a past day or a claim's ended clock waits for a
second compliance user (`holiday_change_approve`, from the holiday changes list). Staff rows
are `source=staff` so `sync_holidays` never overwrites them. Each applied change bumps the
calendar revision through `incidents.signals`, which reloads the calendar in every process
and recomputes running deadlines after commit (never a statutory date, never one that passed).
"""

import calendar as stdcal
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents import roles, services
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import MAX_YEAR, MIN_YEAR, BoundedAdminMixin, BoundedFormMixin
from incidents.calendar import current_revision
from incidents.errors import DomainError
from incidents.holiday_sync import MAX_YEARS, package_holidays, sync_from_package
from incidents.models import Holiday, HolidayChange, HolidayKind, HolidaySource


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Holiday.objects.dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        # A year that is not a number (?year=abc) or out of range is ignored, not passed to the database.
        value = (self.value() or "").strip()
        if value.isascii() and value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
            return queryset.filter(date__year=int(value))
        return queryset


class SyncForm(BoundedFormMixin, forms.Form):
    # The years every date here may take (incidents.bounds), as in the sync itself: every synced row
    # can be listed, opened, edited and shown in the year calendar.
    from_year = forms.IntegerField(label=_("From year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    to_year = forms.IntegerField(label=_("To year"), min_value=MIN_YEAR, max_value=MAX_YEAR)

    def clean(self):
        data = super().clean()
        first, last = data.get("from_year"), data.get("to_year")
        if first is not None and last is not None:
            if first > last:
                raise forms.ValidationError(gettext("The first year must not be after the last year."))
            if last - first >= MAX_YEARS:
                raise forms.ValidationError(gettext("Sync at most %(n)d years at a time.") % {"n": MAX_YEARS})
        return data


def month_grid(year, month, rows_by_date):
    """Weeks (Sunday first, as Korean calendars print them) of cells for one month."""
    weeks = []
    for week in stdcal.Calendar(firstweekday=6).monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append(None)
                continue
            row = rows_by_date.get(day)
            classes = []
            if day.weekday() == 5:
                classes.append("sat")
            elif day.weekday() == 6:
                classes.append("sun")
            if row is not None:
                if row.exchange_open:
                    classes.append("exchange-open")
                else:
                    classes.append("public" if row.kind == HolidayKind.PUBLIC else "non-business")
                if row.source == HolidaySource.STAFF:
                    classes.append("staff")
            cells.append(
                {
                    "day": day,
                    "row": row,
                    "classes": " ".join(classes),
                    "business": day.weekday() < 5 and (row is None or row.exchange_open),
                }
            )
        weeks.append(cells)
    return weeks


class HolidayForm(BoundedFormMixin, forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason for this change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept with the change. A past day or a day inside an ended deadline needs a second compliance user."
        ),
    )

    class Meta:
        model = Holiday
        fields = ("date", "name", "kind", "exchange_open")


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for removing this day"), widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Holiday)
class HolidayAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    form = HolidayForm
    change_form_template = "admin/incidents/holiday/change_form.html"
    list_display = ("date", "weekday", "name", "kind", "exchange_open", "source", "updated_by", "updated_at")
    list_filter = (YearFilter, "kind", "exchange_open", "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    list_per_page = 100
    fields = ("date", "name", "kind", "exchange_open", "reason", "source", "updated_by", "created_at", "updated_at")
    readonly_fields = ("source", "updated_by", "created_at", "updated_at")
    list_select_related = ("updated_by",)

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj):
        return date_format(obj.date, "D")

    # --- who may edit: compliance only (services-style check, not just model perms) -------
    def _is_compliance(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE)

    def has_add_permission(self, request):
        return self._is_compliance(request)

    def has_change_permission(self, request, obj=None):
        return self._is_compliance(request)

    def has_delete_permission(self, request, obj=None):
        # Rows are removed through the "Remove" page (a reason, maybe a second user), never deleted here.
        return False

    def save_model(self, request, obj, form, change):
        """Call the service; the row is written by it (now, or once a second user approves)."""
        fields = {name: form.cleaned_data[name] for name in ("name", "kind", "exchange_open")}
        try:
            if change:
                result = services.holiday_change(
                    actor=request.user,
                    holiday=obj,
                    reason=form.cleaned_data["reason"],
                    day=form.cleaned_data["date"],
                    **fields,
                )
            else:
                result = services.holiday_add(
                    actor=request.user, day=form.cleaned_data["date"], reason=form.cleaned_data["reason"], **fields
                )
        except DomainError as refused:
            request._holiday_outcome = ("refused", refused.message)
            return
        if result.status == HolidayChange.Status.PENDING:
            request._holiday_outcome = ("pending", result)
            return
        request._holiday_outcome = ("applied", result)
        obj.pk = result.holiday_id
        obj.refresh_from_db()

    def _held_back(self, request):
        """After save_model: a redirect to the list with what happened, unless the change was applied."""
        outcome, detail = getattr(request, "_holiday_outcome", ("applied", None))
        if outcome == "applied":
            return None
        if outcome == "refused":
            self.message_user(request, detail, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("The change waits for a second compliance user: %(why)s")
                % {"why": detail.approval_needed_because},
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:incidents_holidaychange_changelist"))

    def response_add(self, request, obj, post_url_continue=None):
        return self._held_back(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._held_back(request) or super().response_change(request, obj)

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(request, "_holiday_outcome", ("applied",))[0] == "applied":
            return super().log_change(request, obj, message)

    def remove_view(self, request, pk):
        if not self._is_compliance(request):
            raise PermissionDenied
        holiday = Holiday.objects.filter(pk=pk).first()
        if holiday is None:
            return HttpResponseRedirect(reverse("admin:incidents_holiday_changelist"))
        form = RemoveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.holiday_remove(
                    actor=request.user, holiday=holiday, reason=form.cleaned_data["reason"]
                )
            except DomainError as refused:
                self.message_user(request, refused.message, messages.ERROR)
            else:
                if result.status == HolidayChange.Status.PENDING:
                    request._holiday_outcome = ("pending", result)
                    return self._held_back(request)
                self.message_user(request, gettext("%(row)s removed.") % {"row": holiday}, messages.SUCCESS)
                self._warn_if_the_package_lists([holiday], request)
                return HttpResponseRedirect(reverse("admin:incidents_holiday_changelist"))
        context = {
            **self._context(request, gettext("Remove %(row)s") % {"row": holiday}),
            "form": form,
            "holiday": holiday,
        }
        return TemplateResponse(request, "admin/incidents/holiday/remove.html", context)

    def _warn_if_the_package_lists(self, rows, request):
        """A deleted day the package lists comes back with the next sync: say how to make it last."""
        years = {row.date.year for row in rows}
        listed = package_holidays(min(years), max(years)) if years else {}
        for row in rows:
            if row.date in listed:
                self.message_user(
                    request,
                    gettext(
                        "%(date)s %(name)s is in the holidays package: the next sync will add it back. "
                        "If the exchange works that day, keep the row and tick “exchange works this day”."
                    )
                    % {"date": row.date.isoformat(), "name": row.name},
                    messages.WARNING,
                )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "calendar_revision": current_revision(),
            "this_year": timezone.localdate().year,
            "can_sync": self.has_add_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    # --- extra views ----------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("sync/", view(self.sync_view), name="incidents_holiday_sync"),
            path("<int:pk>/remove/", view(self.remove_view), name="incidents_holiday_remove"),
            path("year/<int:year>/", view(self.year_view), name="incidents_holiday_year"),
            *super().get_urls(),
        ]

    def _context(self, request, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def sync_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        this_year = timezone.localdate().year
        form = SyncForm(request.POST or None, initial={"from_year": this_year, "to_year": this_year + 1})
        if request.method == "POST" and form.is_valid():
            first, last = form.cleaned_data["from_year"], form.cleaned_data["to_year"]
            report = sync_from_package(from_year=first, to_year=last)
            self.message_user(
                request,
                gettext(
                    "Holidays %(first)d–%(last)d synced from the holidays package: %(added)d added, "
                    "%(updated)d updated, %(kept)d staff rows kept, %(unchanged)d unchanged."
                )
                % {
                    "first": first,
                    "last": last,
                    "added": len(report.added),
                    "updated": len(report.updated),
                    "kept": len(report.kept_staff),
                    "unchanged": report.unchanged,
                },
                messages.SUCCESS,
            )
            for day, name, _kind in report.stale:
                self.message_user(
                    request,
                    gettext(
                        "%(date)s %(name)s is no longer in the holidays package; it was kept. "
                        "Delete it here if it is wrong."
                    )
                    % {"date": day.isoformat(), "name": name},
                    messages.WARNING,
                )
            return HttpResponseRedirect(reverse("admin:incidents_holiday_changelist") + f"?date__year={first}")
        context = {**self._context(request, gettext("Sync holidays from the holidays package")), "form": form}
        return TemplateResponse(request, "admin/incidents/holiday/sync.html", context)

    def year_view(self, request, year):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not MIN_YEAR <= year <= MAX_YEAR:
            return HttpResponseRedirect(reverse("admin:incidents_holiday_year", args=[timezone.localdate().year]))
        rows = {row.date: row for row in Holiday.objects.filter(date__year=year)}
        months = []
        for month in range(1, 13):
            weeks = month_grid(year, month, rows)
            business = sum(1 for week in weeks for cell in week if cell and cell["business"])
            months.append({"number": month, "name": MONTHS[month], "weeks": weeks, "business_days": business})
        context = {
            **self._context(request, gettext("Business-day calendar %(year)d") % {"year": year}),
            "year": year,
            "months": months,
            # Sunday first, matching `month_grid`.
            "weekdays": [WEEKDAYS_ABBR[i] for i in (6, 0, 1, 2, 3, 4, 5)],
            "holidays": sorted(rows.values(), key=lambda row: row.date),
            "business_days": sum(m["business_days"] for m in months),
            "prev_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
            "today": timezone.localdate(),
            "can_edit": self.has_change_permission(request),
            "calendar_revision": current_revision(),
            "first_of_year": date(year, 1, 1),
        }
        return TemplateResponse(request, "admin/incidents/holiday/year.html", context)


@admin.register(HolidayChange)
class HolidayChangeAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    """Every edit of the holiday table; pending ones are approved here by a second compliance user."""

    list_display = ("proposed_at", "action", "day", "name", "kind", "status", "proposed_by", "approved_by", "reason")
    list_filter = ("status", "action")
    readonly_fields = [field.name for field in HolidayChange._meta.fields]
    actions = ["approve"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR, roles.AGENT)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not roles.has_role(request.user, roles.COMPLIANCE):
            actions.pop("approve", None)
        return actions

    @admin.action(description=_("Approve the selected changes (second compliance user)"))
    def approve(self, request, queryset):
        for change in queryset:
            try:
                services.holiday_change_approve(actor=request.user, change=change)
            except DomainError as refused:
                self.message_user(request, f"{change}: {refused.message}", messages.ERROR)
            else:
                self.message_user(request, gettext("%(change)s applied.") % {"change": change}, messages.SUCCESS)
