from django.contrib import admin

# Incident, notice draft and notice version admins live in their own module.
from .admin_incidents import IncidentAdmin, NoticeAdmin, NoticeVersionAdmin  # noqa: F401
from .models import Holiday


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
