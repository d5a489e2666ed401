"""What compensation adds to incident pages: the policies behind 보상기준, the way to claim, staff links."""

from datetime import datetime, time

from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from compensation.models import Claim, ClaimState, CompensationPolicy
from compensation.models.claim import CLOCKS
from compensation.selectors.exposure import incident_impact
from compensation.selectors.terms import published_terms
from compensation.services.policies import terms_for_incident
from incidents import roles
from incidents.kst import KST


def notice_panels(*, incident, version, request, preview=False):
    """A published version shows the terms it was published with, forever; a preview those it would publish."""
    terms = preview_terms(incident) if preview or version.pk is None else published_terms(version)
    context = {"incident": incident, "terms": terms, "preview": preview}
    yield "criteria", render_to_string("compensation/includes/notice_policies.html", context, request=request)
    yield "claim_action", render_to_string("compensation/includes/file_claim_link.html", context, request=request)


def preview_terms(incident):
    # Read only: what publishing would link (a version is recorded only if terms changed unrecorded).
    return terms_for_incident(incident)


def incident_admin_links(*, incident, user):
    """Staff go from an incident to its compensation work: dashboard, order log, prices."""
    if not roles.has_role(user, roles.AGENT, roles.SUPERVISOR, roles.COMPLIANCE):
        return []
    return [
        (_("Compensation dashboard"), reverse("admin:compensation_incident_dashboard", args=[incident.pk])),
        (_("Affected orders"), reverse("admin:compensation_affected_orders", args=[incident.pk])),
        (_("Market prices"), reverse("admin:compensation_market_prices", args=[incident.pk])),
        (_("Compensation without a claim"), reverse("admin:compensation_proactive", args=[incident.pk])),
    ]


def publish_check(*, incident):
    """A notice needs 보상기준: refused while no active policy applies to the incident's type."""
    if CompensationPolicy.objects.filter(incident_type=incident.incident_type, is_active=True).exists():
        return []
    return [
        _(
            "No active compensation policy applies to incidents of type “%(type)s”: add one "
            "(compensation criteria per damage type) before publishing the notice."
        )
        % {"type": incident.get_incident_type_display()}
    ]


def ended_clocks_over(*, day, today):
    """Holiday guard: claims whose clock counted over `day` and has ended (stopped, or its date passed).

    Their dates are history; a change to such a day waits for a second compliance user. The
    statutory review date counts too: it ends on its date whatever the claim's state.
    """
    filed_before_day = datetime.combine(day, time.min, tzinfo=KST)
    ended = Q(filed_at__lt=filed_before_day, statutory_due_on__gte=day, statutory_due_on__lt=today)
    for clock in CLOCKS:
        spans = Q(**{f"{clock.started_field}__lt": day, f"{clock.due_field}__gte": day})
        stopped = ~Q(state__in=clock.states) | Q(**{f"{clock.due_field}__lt": today})
        ended |= spans & stopped
    count = Claim.objects.filter(ended).count()
    if not count:
        return []
    return [
        _("%(count)d claims have a deadline counted over %(date)s that has already ended.")
        % {"count": count, "date": day.isoformat()}
    ]


def report_impact(*, incident):
    """Claims, users, orders and KRW frozen into a regulator report's snapshot."""
    return incident_impact(incident)


def close_check(*, incident):
    """An incident is closed only when every claim of it is closed or withdrawn."""
    open_claims = Claim.objects.filter(incident=incident).exclude(state__in=(ClaimState.CLOSED, ClaimState.WITHDRAWN))
    count = open_claims.count()
    if not count:
        return []
    return [
        _("%(count)d claims of this incident are not closed or withdrawn yet; settle them before closing it.")
        % {"count": count}
    ]
