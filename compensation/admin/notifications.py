"""Admin for the outbox: what was queued, sent or given up, and a "resend" for failed rows."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from compensation.models import Notification
from compensation.notifications import outbox
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin


@admin.register(Notification)
class NotificationAdmin(PlainTitlesMixin, BoundedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "to_email", "state", "attempts", "short_error", "sent_at", "claim")
    list_filter = ("state", "kind", "language", "created_at")
    search_fields = ("key", "to_email", "claim__number")
    date_hierarchy = "created_at"
    list_select_related = ("claim",)
    list_per_page = 100
    actions = ("resend",)
    readonly_fields = [field.name for field in Notification._meta.fields]
    fieldsets = (
        (None, {"fields": ("key", "kind", "claim", "recipient", "to_email", "language")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "state",
                    "attempts",
                    "last_error",
                    "next_attempt_at",
                    "queued_at",
                    "created_at",
                    "sent_at",
                    "late_copies",
                )
            },
        ),
        (_("Message"), {"fields": ("subject", "body_text", "context")}),
    )

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Resend failed notifications"), permissions=["change"])
    def resend(self, request, queryset):
        count = outbox.resend(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(n)d notification queued again.", "%(n)d notifications queued again.", count) % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    # The outbox is a record: rows are never typed in or deleted by hand.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
