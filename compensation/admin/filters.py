from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compensation import selectors
from compensation.models import ClaimOrigin, ClaimState, Confirmation
from incidents import roles


def my_queue_q(user):
    """An agent's default queue: their claims, new claims nobody has taken yet and objections waiting
    for a reviewer (the agent who decided cannot review them; every other agent may)."""
    return Q(assignee=user) | Q(assignee__isnull=True, state=ClaimState.SUBMITTED) | Q(state=ClaimState.OBJECTED)


class QueueFilter(admin.SimpleListFilter):
    """Agents land on their own queue, which includes the new unassigned claims; everyone can switch."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("Mine + new unassigned + objections")),
            ("assigned", _("Assigned to me only")),
            ("unassigned", _("Unassigned")),
            ("all", _("All claims")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(my_queue_q(request.user))
        if self.value() == "assigned":
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


class ObjectionRoundFilter(admin.SimpleListFilter):
    """Fixed choices: a DISTINCT over every claim would scan the whole table on each page view."""

    title = _("objection round")
    parameter_name = "round"

    def lookups(self, request, model_admin):
        rounds = max(2, settings.COMPENSATION_MAX_OBJECTION_ROUNDS)
        return [(str(n), str(n)) for n in range(rounds + 1)]

    def queryset(self, request, queryset):
        if self.value() is not None and self.value().isdigit():
            return queryset.filter(objection_round=int(self.value()))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Staff who can hold claims, not every user account (claimants number in the millions)."""

    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=[roles.AGENT, roles.SUPERVISOR])
            .distinct()
            .order_by("email")
            .values_list("pk", "email")[:200]
        )
        return [(str(pk), email) for pk, email in staff]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(assignee_id=int(self.value()))
        return queryset


class ConfirmationFilter(admin.SimpleListFilter):
    """Claims staff recorded for callers, by the user's confirmation (staff-assisted intake)."""

    title = _("recorded for a caller")
    parameter_name = "confirmation"

    def lookups(self, request, model_admin):
        return [("any", _("All recorded by staff")), *Confirmation.choices]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.filter(origin=ClaimOrigin.ASSISTED)
        if self.value() in Confirmation.values:
            return queryset.filter(origin=ClaimOrigin.ASSISTED, assisted_intake__confirmation=self.value())
        return queryset
