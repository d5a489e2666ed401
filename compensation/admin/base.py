from django.contrib.admin.utils import unquote
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from incidents import roles
from incidents.bounds import BoundedAdminMixin, parse_id


class ReadOnlyAdminMixin:
    """Records are kept: no add, change or delete through generic admin forms; services change them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OversightPageMixin(ReadOnlyAdminMixin):
    """A page for compliance and supervisors (a register or report, not rows to edit): only they see it."""

    def has_module_permission(self, request):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.COMPLIANCE, roles.SUPERVISOR)


class NoRevertHistoryAdmin(BoundedAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """History is for reading: reverting would bypass the services and their checks."""

    def history_view(self, request, object_id, extra_context=None):
        # simple_history looks the id up as given: "abc" or 20 digits would reach the database.
        if parse_id(unquote(object_id)) is None:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self.history_view(request, object_id, extra_context)
