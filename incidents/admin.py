from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import DomainError
from .models import Holiday, Incident, IncidentEvent, Notice, NoticeVersion


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class NoticeVersionInline(admin.TabularInline):
    model = NoticeVersion
    extra = 0
    can_delete = False
    fields = ("number", "published_at", "published_by", "effective_intake_ends_on", "change_summary")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "incident_type", "severity", "state", "started_at", "intake_ends_on")
    list_filter = ("state", "incident_type", "severity")
    search_fields = ("title", "affected_services", "root_cause")
    date_hierarchy = "started_at"
    list_per_page = 50
    readonly_fields = ("state", "notice_first_posted_at", "intake_ends_on", "created_by", "created_at")
    inlines = [NoticeVersionInline, IncidentEventInline]
    actions = ["close_intake_action"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {k: form.cleaned_data.get(k) for k in (
            "title", "incident_type", "severity", "affected_services", "started_at", "ended_at",
            "detected_at", "root_cause", "actions_taken", "estimated_affected_users")}
        created = services.incident_create(actor=request.user, **data)
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.action(description=_("Close intake of the selected incidents"))
    def close_intake_action(self, request, queryset):
        for incident in queryset:
            try:
                services.incident_close_intake(incident=incident, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{incident}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{incident}: {_('intake closed')}", messages.SUCCESS)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "kind", "source", "updated_at")
    list_filter = ("kind", "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = ("source", "updated_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        obj.source = "staff"
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


admin.site.register(Notice)
