"""Read-only registers: decisions, objections, payments (with history), imported prices and orders."""

from django.contrib import admin

from compensation.admin.base import NoRevertHistoryAdmin, ReadOnlyAdminMixin
from compensation.models import AffectedOrder, Decision, MarketPrice, Objection, Payment
from incidents.admin.titles import PlainTitlesMixin
from incidents.bounds import BoundedAdminMixin


@admin.register(Decision)
class DecisionAdmin(PlainTitlesMixin, NoRevertHistoryAdmin):
    list_display = ("claim", "approved", "amount_krw", "status", "decided_by", "approved_by", "decided_at", "due_on")
    list_filter = ("status", "approved")
    search_fields = ("=claim__number",)
    list_select_related = ("claim", "decided_by", "approved_by")
    date_hierarchy = "decided_at"
    show_full_result_count = False


@admin.register(Objection)
class ObjectionAdmin(PlainTitlesMixin, NoRevertHistoryAdmin):
    list_display = ("claim", "round", "filed_at", "review_due_on", "reviewer", "outcome")
    list_filter = ("round", "outcome")
    search_fields = ("=claim__number",)
    list_select_related = ("claim", "reviewer")
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(PlainTitlesMixin, NoRevertHistoryAdmin):
    list_display = ("claim", "amount_krw", "method", "reference", "paid_at", "recorded_by")
    list_filter = ("method",)
    search_fields = ("=claim__number", "reference")
    list_select_related = ("claim", "recorded_by")
    date_hierarchy = "paid_at"
    show_full_result_count = False


@admin.register(MarketPrice)
class MarketPriceAdmin(PlainTitlesMixin, BoundedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Imported through the incident's market prices page; never edited, so what sized a claim stays."""

    list_display = ("incident", "asset", "at", "price_krw", "imported_by", "imported_at")
    list_filter = ("incident", "asset")
    search_fields = ("asset",)
    list_select_related = ("incident", "imported_by")
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 200


@admin.register(AffectedOrder)
class AffectedOrderAdmin(PlainTitlesMixin, BoundedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Imported through the incident's affected orders page; never edited."""

    list_display = ("incident", "order_ref", "email", "asset", "side", "quantity", "price_krw", "attempted_at", "error")
    list_filter = ("incident", "side")
    search_fields = ("=order_ref", "email")
    list_select_related = ("incident",)
    date_hierarchy = "attempted_at"
    show_full_result_count = False
    list_per_page = 200
