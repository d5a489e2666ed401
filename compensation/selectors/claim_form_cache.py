"""The claim form page during an outage: the parts every claimant shares, rendered once.

Everyone filing under one incident and damage type sees the same terms (the intake period, the
보상기준, the damage-type cards) and the same empty form fields; rendering them was most of the
form's server time. They are rendered WITHOUT the request (no user, no CSRF token, no language menu
can get into them) and kept in the shared cache per incident, damage type and language, under the
public notice's stamp (`incidents/public_cache.py`: replaced after any committed change of an
incident, a published notice version, a policy or its required documents). An entry also expires
when the intake it shows as open closes, and after NOTICE_CACHE_SECONDS in any case.

Each response adds what is the user's own, never cached: the page around it (`base.html`), the
CSRF token, a fresh idempotency key, "you already filed", the orders the exchange's log shows
failing, and a pre-filled or refused form (rendered in full).
"""

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from compensation.forms import ClaimForm
from compensation.selectors import portal as selectors
from config import cache  # a cache outage is a miss (logged once), never an error
from incidents import public_cache


def shared_parts(*, incident_pk, policy_pk=None):
    """The shared parts of incident `incident_pk`'s claim form, under `policy_pk` (None: the only
    policy if there is one, else the choice). Http404 for a non-public incident or a policy that
    does not apply to it (nothing is cached then)."""
    key = f"compensation:claimform:{public_cache.stamp()}:{incident_pk}:{policy_pk or '-'}:{translation.get_language()}"
    parts = cache.get(key)
    if parts is None:
        parts = _build(incident_pk, policy_pk)
        cache.set(key, parts, timeout=public_cache.seconds_valid(parts["closes_at"]))
    return parts


def _build(incident_pk, policy_pk):
    incident = selectors.public_incident(incident_pk)
    policies = selectors.claim_policies(incident)
    if policy_pk is not None:
        policy = next((p for p in policies if p.pk == policy_pk), None)
        if policy is None:
            raise Http404
    else:
        policy = policies[0] if len(policies) == 1 else None
    intake_open = incident.intake_is_open()
    terms = {
        "incident": incident,
        "version": selectors.current_notice_version(incident),
        "policies": policies,
        "policy": policy,
        "intake_open": intake_open,
    }
    return {
        "incident_pk": incident.pk,
        "title": incident.title,
        "incident_type": incident.get_incident_type_display(),
        "intake_open": intake_open,
        "closes_at": incident.intake_closes_at if intake_open else None,
        "policy_pk": policy.pk if policy else None,
        "several_policies": len(policies) > 1,
        "terms_html": render_to_string("compensation/includes/claim_terms.html", terms),
        "fields_html": (
            render_to_string("compensation/includes/claim_fields.html", {"fields_form": ClaimForm(policy=policy)})
            if policy
            else ""
        ),
    }
