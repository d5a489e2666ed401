from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = _("Compensation")

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from compensation.incident_hooks import (
            close_check,
            ended_clocks_over,
            incident_admin_links,
            notice_panels,
            publish_check,
            report_impact,
        )
        from compensation.notifications.account_mail import sync_site_row
        from compensation.permissions import sync_group_permissions
        from compensation.selectors import policies as policy_cache
        from compensation.services.policies import link_published_terms, policy_changed
        from incidents import holiday_guards, panels, public_cache
        from incidents.signals import calendar_changed

        calendar_changed.connect(_recompute_on_calendar_change, dispatch_uid="compensation.recompute")
        post_migrate.connect(sync_group_permissions, dispatch_uid="compensation.sync_roles")
        post_migrate.connect(sync_site_row, sender=self, dispatch_uid="compensation.sync_site_row")
        panels.register(notice_panels)
        holiday_guards.register(ended_clocks_over)
        panels.register_admin_links(incident_admin_links)
        panels.register_publish_check(publish_check)
        panels.register_impact(report_impact)
        panels.register_publish_listener(link_published_terms)
        panels.register_close_check(close_check)
        for model in (self.get_model("CompensationPolicy"), self.get_model("RequiredDocument")):
            post_save.connect(policy_cache.policies_changed, sender=model, dispatch_uid=f"policy_cache.save.{model}")
            post_delete.connect(
                policy_cache.policies_changed, sender=model, dispatch_uid=f"policy_cache.delete.{model}"
            )
            # The public notice shows the policies (보상기준 by damage type, documents to attach).
            post_save.connect(public_cache.changed, sender=model, dispatch_uid=f"public_notice.save.{model}")
            post_delete.connect(public_cache.changed, sender=model, dispatch_uid=f"public_notice.delete.{model}")
            # Every change of terms is a PolicyVersion, whichever code path saved it.
            post_save.connect(policy_changed, sender=model, dispatch_uid=f"policy_versions.save.{model}")
            post_delete.connect(policy_changed, sender=model, dispatch_uid=f"policy_versions.delete.{model}")
        # The outbox's time limits must nest inside its lease (compensation/checks.py).
        from compensation import checks  # noqa: F401 - registers the system checks


def _recompute_on_calendar_change(sender, dates=(), **kwargs):
    # Imported here: apps.py is loaded before the models, and services import models.
    from compensation.services.recompute import claims_recompute_deadlines

    claims_recompute_deadlines(changed_dates=dates)
