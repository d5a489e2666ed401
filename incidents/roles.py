"""Staff roles are Django groups; services ask these helpers, templates only mirror them."""

from django.utils.translation import gettext_lazy as _

from .errors import DomainError

AGENT = "agent"
SUPERVISOR = "supervisor"
COMPLIANCE = "compliance"
ALL_ROLES = (AGENT, SUPERVISOR, COMPLIANCE)

# Model permissions each group gets (app_label.codename); synced after every migrate.
GROUP_PERMISSIONS = {
    AGENT: [
        "incidents.view_incident",
        "incidents.view_notice",
        "incidents.view_noticeversion",
        "incidents.view_incidentevent",
        "incidents.view_holiday",
    ],
    SUPERVISOR: [
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.view_notice",
        "incidents.change_notice",
        "incidents.view_noticeversion",
        "incidents.view_incidentevent",
        "incidents.view_holiday",
    ],
    COMPLIANCE: [
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
        "incidents.view_notice",
        "incidents.change_notice",
        "incidents.view_noticeversion",
        "incidents.view_incidentevent",
        "incidents.view_holiday",
        "incidents.add_holiday",
        "incidents.change_holiday",
    ],
}


def has_role(user, *roles):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names
    return bool(names.intersection(roles))


def require_role(user, *roles, action):
    if not has_role(user, *roles):
        raise DomainError(
            _("You are not allowed to %(action)s.") % {"action": action}, code="forbidden"
        )


def sync_group_permissions(**kwargs):
    """post_migrate: make sure each role group exists and has exactly its permissions."""
    from django.contrib.auth.models import Group, Permission

    for group_name, perms in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.add(*wanted)
