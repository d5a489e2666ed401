from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incidents import roles

from . import selectors
from .models import ClaimState


class QueueFilter(admin.SimpleListFilter):
    """Agents land on their own queue; everyone can switch to unassigned or all."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("mine", _("My queue")), ("unassigned", _("Unassigned")), ("all", _("All claims"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == _("All"):
                continue
            yield choice


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("soon", _("Due within 3 business days")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "soon":
            return queryset.filter(selectors.due_soon_q(3))
        if self.value() == "overdue":
            return queryset.filter(selectors.overdue_q())
        return queryset


class AwaitingApprovalFilter(admin.SimpleListFilter):
    title = _("second approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("waiting", _("Awaiting second approval"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(state=ClaimState.AWAITING_APPROVAL)
        return queryset


def default_queue_for(user):
    return "mine" if roles.has_role(user, roles.AGENT) and not user.is_superuser else "all"
