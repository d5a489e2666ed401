"""Staff roles are Django groups; services ask these helpers, templates only mirror them."""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

from incidents.errors import DomainError, ErrorCode

AGENT = "agent"
SUPERVISOR = "supervisor"
COMPLIANCE = "compliance"
ALL_ROLES = (AGENT, SUPERVISOR, COMPLIANCE)

# Model permissions each group gets (app_label.codename); synced after every migrate.
_READ = [
    "incidents.view_incident",
    "incidents.view_notice",
    "incidents.view_noticeversion",
    "incidents.view_incidentevent",
    "incidents.view_holiday",
    "incidents.view_reportabilitydecision",
    "incidents.view_incidentreport",
    "incidents.view_withdrawalblock",
]
# Regulator reporting: the checklist, the deadline rules and the 입출금 차단 records.
_REPORTING = [
    "incidents.view_reportabilitycriterion",
    "incidents.add_reportabilitycriterion",
    "incidents.change_reportabilitycriterion",
    "incidents.view_reportdeadlinerule",
    "incidents.add_reportdeadlinerule",
    "incidents.change_reportdeadlinerule",
    "incidents.change_incidentreport",
    "incidents.add_withdrawalblock",
    "incidents.change_withdrawalblock",
]
_NOTICES = ["incidents.add_incident", "incidents.change_incident", "incidents.change_notice"]
GROUP_PERMISSIONS = {
    AGENT: _READ,
    SUPERVISOR: _READ + _NOTICES,
    COMPLIANCE: _READ + _NOTICES + _REPORTING + ["incidents.add_holiday", "incidents.change_holiday"],
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
        raise DomainError(_("You are not allowed to %(action)s.") % {"action": action}, code=ErrorCode.FORBIDDEN)


def grant_group_permissions(group_permissions):
    """Make sure each role group exists and holds the listed permissions (`app_label.codename`)."""
    for group_name, perms in group_permissions.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)


def sync_group_permissions(**kwargs):
    """post_migrate: the incidents part of each role's permissions."""
    grant_group_permissions(GROUP_PERMISSIONS)
