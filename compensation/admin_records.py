"""Read-only registers of decisions, objections and payments, with their change history."""

from django.contrib import admin

from .admin_base import NoRevertHistoryAdmin
from .models import Decision, Objection, Payment


@admin.register(Decision)
class DecisionAdmin(NoRevertHistoryAdmin):
    list_display = ("claim", "approved", "amount_krw", "status", "decided_by", "approved_by", "decided_at", "due_on")
    list_filter = ("status", "approved")
    search_fields = ("=claim__number",)
    list_select_related = ("claim", "decided_by", "approved_by")
    date_hierarchy = "decided_at"
    show_full_result_count = False


@admin.register(Objection)
class ObjectionAdmin(NoRevertHistoryAdmin):
    list_display = ("claim", "round", "filed_at", "review_due_on", "reviewer", "outcome")
    list_filter = ("round", "outcome")
    search_fields = ("=claim__number",)
    list_select_related = ("claim", "reviewer")
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(NoRevertHistoryAdmin):
    list_display = ("claim", "amount_krw", "method", "reference", "paid_at", "recorded_by")
    list_filter = ("method",)
    search_fields = ("=claim__number", "reference")
    list_select_related = ("claim", "recorded_by")
    date_hierarchy = "paid_at"
    show_full_result_count = False
