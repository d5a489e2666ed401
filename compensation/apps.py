from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = _("Compensation")

    def ready(self):
        from django.db.models.signals import post_migrate

        from incidents import panels
        from incidents.signals import calendar_changed

        from .notice_panels import notice_panels
        from .permissions import sync_group_permissions

        calendar_changed.connect(_recompute_on_calendar_change, dispatch_uid="compensation.recompute")
        post_migrate.connect(sync_group_permissions, dispatch_uid="compensation.sync_roles")
        panels.register(notice_panels)


def _recompute_on_calendar_change(sender, dates=(), **kwargs):
    from .services.recompute import claims_recompute_deadlines

    claims_recompute_deadlines(changed_dates=dates)
