"""What was published stays what was published: the publish guard and the policy terms in force."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from compensation import services
from compensation.models import ClaimState, CompensationPolicy, NoticeTerms
from compensation.selectors.terms import applied_terms
from compensation.services.assessment import suggest_amount
from incidents import services as incident_services
from incidents.errors import DomainError
from incidents.models import Incident, IncidentState, IncidentType
from tests.compensation.conftest import kst
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time


@pytest.mark.django_db
def test_a_notice_is_refused_when_no_active_policy_applies():
    """Issue 13, case 2: the notice went up for a type with no criteria; the claim form then had none."""
    PolicyFactory(incident_type=IncidentType.LOGIN_FAILURE)  # another type's policy does not count
    PolicyFactory(is_active=False)  # a retired one neither
    incident = IncidentFactory(incident_type=IncidentType.ORDER_FAILURE)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        publish_on_time(incident, ComplianceFactory())

    assert refused.value.code == "policy"
    assert "“Order failure”" in str(refused.value)
    incident.refresh_from_db()
    assert incident.state == IncidentState.DETECTED
    assert not incident.notice_versions.exists()


@pytest.mark.django_db
def test_a_notice_is_published_once_a_policy_applies():
    incident = IncidentFactory(incident_type=IncidentType.ORDER_FAILURE)
    PolicyFactory(incident_type=IncidentType.ORDER_FAILURE)
    version = publish_on_time(incident, ComplianceFactory())
    assert version.number == 1
    assert CompensationPolicy.objects.filter(is_active=True).count() == 1


# --- policy versions -------------------------------------------------------------------------
def _section(page, start, end):
    return page[page.index(start) : page.index(end, page.index(start))]


def _published_record(page):
    """The facts, the four sections and the criteria panel of a rendered notice version."""
    return (
        _section(page, '<dl class="facts">', '<section aria-labelledby="s-criteria">')
        + _section(page, '<section aria-labelledby="s-criteria">', "</section>\n")
        + _section(page, '<div class="policies">', "</div>")
    )


def test_a_notice_version_renders_the_same_after_the_policy_and_the_incident_change(world, client):
    """Issue 13, case 1: an old notice version showed the current policy rows and incident facts."""
    url = reverse("incidents:notice_version", args=[world.incident.pk, 1])
    before = client.get(url).content.decode()
    assert "5,000,000" in before and world.policy.criteria in before

    policy = world.policy
    policy.criteria = "변경된 기준: 체결 가능 가격 기준 차액"
    policy.cap_krw = 1_000_000
    policy.exclusions = ["mental_damage"]
    policy.save()
    RequiredDocumentFactory(policy=policy, name="신분증 사본")
    world.requirement.name = "거래 내역서"
    world.requirement.save()
    Incident.objects.filter(pk=world.incident.pk).update(
        incident_type=IncidentType.OTHER, affected_services="전체 서비스", ended_at=kst(2025, 1, 20, 18)
    )

    after = client.get(url).content.decode()
    assert _published_record(after) == _published_record(before)
    assert "변경된 기준" not in after and "신분증 사본" not in after and "전체 서비스" not in after


def test_a_revision_publishes_the_changed_terms_and_the_old_version_keeps_its_own(world, client):
    world.policy.cap_krw = 7_000_000
    world.policy.save()
    incident_services.notice_revise(incident=world.incident, actor=ComplianceFactory(), change_summary="한도 상향")

    old = client.get(reverse("incidents:notice_version", args=[world.incident.pk, 1])).content.decode()
    new = client.get(reverse("incidents:notice_version", args=[world.incident.pk, 2])).content.decode()
    assert "5,000,000" in _published_record(old) and "7,000,000" not in _published_record(old)
    assert "7,000,000" in _published_record(new)
    v1, v2 = (NoticeTerms.objects.get(notice_version__number=n) for n in (1, 2))
    assert v2.policy_version.number == v1.policy_version.number + 1
    assert v1.policy_version.cap_krw == 5_000_000


def test_every_change_of_terms_is_a_new_immutable_version(world):
    policy = world.policy
    # created (v1), then its document added (v2)
    assert list(policy.versions.order_by("number").values_list("number", "cap_krw")) == [
        (1, 5_000_000),
        (2, 5_000_000),
    ]
    policy.save()  # nothing changed: no version
    policy.cap_krw = 4_000_000
    policy.save()
    RequiredDocumentFactory(policy=policy, name="신분증 사본")
    versions = list(policy.versions.order_by("number"))
    assert [(v.number, v.cap_krw) for v in versions][1:] == [(2, 5_000_000), (3, 4_000_000), (4, 4_000_000)]
    assert [d["name"] for d in versions[3].required_documents] == [world.requirement.name, "신분증 사본"]
    assert [d["name"] for d in versions[2].required_documents] == [world.requirement.name]
    with pytest.raises(ValueError):
        versions[0].save()
    with pytest.raises(ValueError):
        versions[0].delete()


def _lower_cap(world, cap, **revise):
    world.policy.cap_krw = cap
    world.policy.save()
    return incident_services.notice_revise(
        incident=world.incident, actor=ComplianceFactory(), change_summary="보상 한도 변경", **revise
    )


def test_a_claim_records_the_terms_it_was_filed_under(world):
    claim = world.submit()
    published = NoticeTerms.objects.get(notice_version__incident=world.incident)
    assert (claim.policy_version, claim.notice_terms) == (published.policy_version, published)
    _lower_cap(world, 1_000_000)
    later = world.submit(actor=world.other_user)
    assert later.policy_version.number == claim.policy_version.number + 1
    assert later.notice_terms.notice_version.number == 2 and later.notice_terms.cap_krw == 1_000_000


def test_a_less_favourable_change_does_not_reach_filed_claims(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    _lower_cap(world, 1_000_000)
    assert applied_terms(claim).cap_krw == 5_000_000
    # an agent may decide up to the cap the claim was filed under
    decision = services.claim_decide(
        claim=claim, actor=world.agent, approved=True, amount_krw=900_000 + 100_000, reasons="filed terms"
    )
    assert decision.amount_krw == 1_000_000
    claim = world.reload(claim)
    claim.quantity, claim.intended_price_krw, claim.reference_price_krw = Decimal(1), 100_000_000, 104_000_000
    assert suggest_amount(claim).amount_krw == 4_000_000


def test_a_more_favourable_change_reaches_filed_claims(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    _lower_cap(world, 8_000_000)
    terms = applied_terms(claim)
    assert terms.cap_krw == 8_000_000
    assert "more favourable" in terms.why or "유리" in terms.why


def test_a_revision_that_says_so_applies_less_favourable_terms_to_filed_claims(world):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    _lower_cap(world, 1_000_000, applies_to_filed_claims=True)
    assert applied_terms(claim).cap_krw == 1_000_000
    with pytest.raises(DomainError) as refused:
        services.claim_decide(claim=claim, actor=world.agent, approved=True, amount_krw=2_000_000, reasons="x")
    assert refused.value.code == "cap"


def test_an_incident_override_raises_the_cap_for_that_incident_only(world, client):
    other = IncidentFactory(title="다른 사고")
    services.policy_override_set(
        incident=world.incident,
        policy=world.policy,
        actor=ComplianceFactory(),
        cap_krw=9_000_000,
        criteria_note="이번 사고는 1건당 900만 원까지 보상합니다.",
        reason="대규모 장애로 한도 상향",
    )
    incident_services.notice_revise(incident=world.incident, actor=ComplianceFactory(), change_summary="한도 상향")
    page = client.get(reverse("incidents:detail", args=[world.incident.pk])).content.decode()
    assert "9,000,000" in page and "이번 사고는 1건당 900만 원까지" in page
    claim = world.submit()
    assert applied_terms(claim).cap_krw == 9_000_000
    world.policy.refresh_from_db()
    assert world.policy.cap_krw == 5_000_000  # the global row is untouched
    publish_on_time(other, ComplianceFactory())
    assert NoticeTerms.objects.get(notice_version__incident=other).cap_krw == 5_000_000


def test_only_compliance_sets_an_override_and_with_a_reason(world):
    with pytest.raises(DomainError):
        services.policy_override_set(
            incident=world.incident, policy=world.policy, actor=world.agent, cap_krw=1, reason="x"
        )
    with pytest.raises(DomainError):
        services.policy_override_set(
            incident=world.incident, policy=world.policy, actor=ComplianceFactory(), cap_krw=1, reason=" "
        )


def test_the_notice_editor_publishes_a_revision_that_applies_to_filed_claims(world, client):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    world.policy.cap_krw = 1_000_000
    world.policy.save()
    officer = ComplianceFactory()
    client.force_login(officer)
    notice = world.incident.notice
    data = {
        "description": notice.description,
        "claim_procedure": notice.claim_procedure,
        "intake_period_note": notice.intake_period_note,
        "compensation_criteria": notice.compensation_criteria,
        "intake_ends_on": "",
        "change_summary": "보상 한도 조정, 접수된 신청에도 적용",
        "applies_to_filed_claims": "on",
        "_revise": "1",
    }
    response = client.post(reverse("admin:incidents_incident_notice", args=[world.incident.pk]), data)
    assert response.status_code == 302
    assert world.incident.notice_versions.get(number=2).applies_to_filed_claims
    assert applied_terms(claim).cap_krw == 1_000_000
