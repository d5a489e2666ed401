"""Admin permissions each staff role gets on compensation models (the services enforce the rules)."""

from incidents import roles

VIEW_ALL = [
    "compensation.view_claim",
    "compensation.view_compensationpolicy",
    "compensation.view_requireddocument",
    "compensation.view_decision",
    "compensation.view_objection",
    "compensation.view_payment",
    "compensation.view_claimdocument",
    "compensation.view_notification",
    "compensation.view_marketprice",
    "compensation.view_affectedorder",
]

GROUP_PERMISSIONS = {
    roles.AGENT: VIEW_ALL,
    roles.SUPERVISOR: VIEW_ALL + ["compensation.change_claim"],
    roles.COMPLIANCE: VIEW_ALL
    + [
        "compensation.add_compensationpolicy",
        "compensation.change_compensationpolicy",
        "compensation.add_requireddocument",
        "compensation.change_requireddocument",
        "compensation.delete_requireddocument",
        "compensation.change_notification",
    ],
}


def sync_group_permissions(**kwargs):
    """post_migrate: the compensation part of each role's permissions."""
    roles.grant_group_permissions(GROUP_PERMISSIONS)
