"""The terms a claim is assessed and decided under.

A claim keeps the terms it was filed under (the policy version its incident's notice published,
with the incident's override). A later notice version of the same incident changes them only when
its terms are more favourable to the claimant, or when that revision says it applies to claims
already filed. Claims from before versions existed fall back to their policy's current row.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from compensation.models import NoticeTerms


@dataclass(frozen=True)
class AppliedTerms:
    method: str
    cap_krw: int
    fixed_amount_krw: int | None
    annual_interest_rate_bp: int | None
    notice_terms: NoticeTerms | None
    why: str

    @property
    def policy_version(self):
        return self.notice_terms.policy_version if self.notice_terms else None


def _of(terms, why):
    return AppliedTerms(
        method=terms.method,
        cap_krw=terms.cap_krw,
        fixed_amount_krw=terms.fixed_amount_krw,
        annual_interest_rate_bp=terms.annual_interest_rate_bp,
        notice_terms=terms if isinstance(terms, NoticeTerms) else None,
        why=why,
    )


def _filed_why(terms):
    return _("filed under policy version %(v)d, published in notice version %(n)d") % {
        "v": terms.policy_version.number,
        "n": terms.notice_version.number,
    }


def applied_terms(claim):
    filed = claim.notice_terms if claim.notice_terms_id else None
    if filed is None:
        version = claim.policy_version if claim.policy_version_id else None
        if version is not None:
            return _of(version, _("filed under policy version %(v)d") % {"v": version.number})
        return _of(claim.policy, _("the policy as it stands (filed before policy versions)"))
    later = (
        NoticeTerms.objects.filter(
            notice_version__incident_id=claim.incident_id,
            notice_version__number__gt=filed.notice_version.number,
            policy_version__policy_id=claim.policy_id,
        )
        .select_related("notice_version", "policy_version")
        .order_by("notice_version__number")
    )
    return _of(*_walk(filed, later))


def _walk(filed, later):
    """(terms, why): the terms filed under, replaced by a later notice version's terms only when those
    are more favourable to the claimant or that revision says it applies to claims already filed."""
    current, why = filed, _filed_why(filed)
    for terms in later:
        if terms.notice_version.applies_to_filed_claims and terms.comparable() != current.comparable():
            current = terms
            why = _("notice version %(n)d applies its terms (policy version %(v)d) to claims already filed") % {
                "n": terms.notice_version.number,
                "v": terms.policy_version.number,
            }
        elif terms.is_more_favourable_than(current):
            current = terms
            why = _("policy version %(v)d of notice version %(n)d is more favourable to the claimant") % {
                "n": terms.notice_version.number,
                "v": terms.policy_version.number,
            }
    return current, why


def published_terms_in_force(incident):
    """policy id → (NoticeTerms, why) for every policy an incident's notice published.

    The rule for filed claims, applied to everyone the incident affected: the terms of the first
    notice version that published the policy, replaced by a later version's only when more
    favourable or when that revision says it applies to claims already filed. A policy edited after
    publication (a new PolicyVersion) changes nothing here until a notice version publishes it.
    """
    rows = (
        NoticeTerms.objects.filter(notice_version__incident=incident)
        .select_related("notice_version", "policy_version")
        .order_by("notice_version__number", "pk")
    )
    by_policy = {}
    for terms in rows:
        by_policy.setdefault(terms.policy_version.policy_id, []).append(terms)
    return {policy_id: _walk(seq[0], seq[1:]) for policy_id, seq in by_policy.items()}


def published_terms(notice_version):
    """The policy terms a notice version was published with, by damage type."""
    return list(
        NoticeTerms.objects.filter(notice_version=notice_version)
        .select_related("policy_version")
        .order_by("policy_version__damage_type", "policy_version__policy_id")
    )
