from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyAdminMixin:
    """Records are kept: no add, change or delete through generic admin forms; services change them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NoRevertHistoryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """History is for reading: reverting would bypass the services and their checks."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self.history_view(request, object_id, extra_context)
