"""Policy terms over time: a new PolicyVersion whenever terms change, and the terms a notice publishes.

Every write of a policy or of its required documents records a version (a signal, so no code
path can skip it); the admin defers that to the end of its save so one edit with its document
rows is one version, with who changed it and why. Publishing a notice version links, for each
active policy of the incident's type, the version in force and the incident's override.
"""

import contextvars
from contextlib import contextmanager

from django.db import transaction
from django.utils.translation import gettext as _

from compensation.models import CompensationPolicy, IncidentPolicyOverride, NoticeTerms, PolicyVersion
from compensation.models.policy import current_terms
from incidents import roles
from incidents.errors import DomainError

_deferred = contextvars.ContextVar("policy_versions_deferred", default=False)


@contextmanager
def versions_deferred():
    """Inside, saving a policy or its documents records no version; the caller records one at the end."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def policy_version_record(*, policy, actor=None, reason=""):
    """The version holding the policy's current terms: the latest one, or a new one if they changed."""
    with transaction.atomic():
        policy = CompensationPolicy.objects.select_for_update().get(pk=policy.pk)
        terms = current_terms(policy)
        latest = policy.versions.order_by("-number").first()
        if latest is not None and latest.terms() == terms:
            return latest
        return PolicyVersion.objects.create(
            policy=policy,
            number=(latest.number + 1) if latest else 1,
            reason=reason,
            created_by=actor,
            **terms,
        )


def policy_changed(sender, instance, **kwargs):
    """post_save / post_delete of a policy or a required document: record the new terms."""
    if _deferred.get() or kwargs.get("raw"):
        return
    policy_id = instance.pk if isinstance(instance, CompensationPolicy) else instance.policy_id
    if policy_id is None or not CompensationPolicy.objects.filter(pk=policy_id).exists():
        return
    policy_version_record(policy=CompensationPolicy(pk=policy_id))


def terms_for_incident(incident, *, actor=None):
    """Unsaved NoticeTerms for every active policy of the incident's type: version in force + override."""
    policies = CompensationPolicy.objects.filter(incident_type=incident.incident_type, is_active=True).order_by(
        "damage_type", "pk"
    )
    overrides = {o.policy_id: o for o in IncidentPolicyOverride.objects.filter(incident=incident)}
    terms = []
    for policy in policies:
        version = policy_version_record(policy=policy, actor=actor)
        override = overrides.get(policy.pk)
        terms.append(
            NoticeTerms(
                policy_version=version,
                cap_krw=override.cap_krw if override and override.cap_krw is not None else version.cap_krw,
                criteria_note=override.criteria_note if override else "",
            )
        )
    return terms


def link_published_terms(*, incident, version, actor):
    """incidents.panels publish listener: the notice version keeps the terms it was published with."""
    terms = terms_for_incident(incident, actor=actor)
    for item in terms:
        item.notice_version = version
    NoticeTerms.objects.bulk_create(terms)


def policy_override_set(*, incident, policy, actor, reason, cap_krw=None, criteria_note=""):
    """Change one policy's cap or add a note for one incident; applies from its next notice version."""
    roles.require_role(actor, roles.COMPLIANCE, action=_("change the terms for an incident"))
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for changing the terms for this incident."))
    if policy.incident_type != incident.incident_type:
        raise DomainError(_("This policy does not apply to the incident's type."))
    with transaction.atomic():
        override, _created = IncidentPolicyOverride.objects.select_for_update().get_or_create(
            incident=incident,
            policy=policy,
            defaults={"reason": reason, "updated_by": actor},
        )
        override.cap_krw = cap_krw
        override.criteria_note = criteria_note
        override.reason = reason
        override.updated_by = actor
        override.save()
    return override
