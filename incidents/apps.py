from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from incidents import checks, signals  # noqa: F401
        from incidents.roles import sync_group_permissions

        post_migrate.connect(sync_group_permissions, dispatch_uid="incidents.sync_roles")
