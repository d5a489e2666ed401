"""Coverage against liabilities: the required amount on both bases and both minimums, the shortfall
deadline (next business day, or the 10th), fixing it, and exposure warnings per incident."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from compensation import services
from compensation.models import (
    BatchState,
    ClaimState,
    CompensationBatch,
    CoverageBasis,
    CoverageSnapshot,
    InsurancePolicy,
    required_amount,
)
from compensation.selectors.exposure import exposure_by_incident, incident_impact
from incidents.errors import DomainError, ErrorCode
from incidents.models import Holiday, HolidayKind
from tests.factories import AgentFactory, ComplianceFactory, UserFactory

억 = 100_000_000
APRIL = datetime(2025, 4, 1, 10, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.fixture
def officer(db):
    return ComplianceFactory()


def _policy(per_incident, aggregate=None, starts=date(2025, 1, 1), ends=date(2025, 12, 31), number="P-1"):
    return InsurancePolicy.objects.create(
        insurer="가나다손해보험",
        policy_number=number,
        starts_on=starts,
        ends_on=ends,
        aggregate_limit_krw=aggregate or per_incident,
        per_incident_limit_krw=per_incident,
    )


@pytest.mark.parametrize(
    "basis_value, licence, required",
    [
        (100_000 * 억, "krw_market", 5_000 * 억),  # 5% of 10조 = 5,000억 > 30억
        (100 * 억, "krw_market", 30 * 억),  # 5% of 100억 = 5억 < 30억: the KRW-market minimum
        (100 * 억, "other", 5 * 억),  # exactly the minimum of the others
        (50 * 억, "other", 5 * 억),  # 2.5억 < 5억
        (200 * 억 + 1, "other", 10 * 억 + 1),  # 5% rounded up to the won
    ],
)
def test_required_is_the_larger_of_five_percent_and_the_minimum(basis_value, licence, required):
    assert required_amount(basis_value, licence) == required


@override_settings(COVERAGE_BASIS="hot_wallet")
def test_hot_wallet_shortfall_computed_on_a_friday_before_a_holiday_is_due_after_it(officer):
    # Friday 2025-05-02; Monday 5/5 어린이날 and Tuesday 5/6 대체공휴일: next business day Wednesday 5/7.
    for day, name in ((date(2025, 5, 5), "어린이날"), (date(2025, 5, 6), "대체공휴일")):
        Holiday.objects.update_or_create(date=day, defaults={"name": name, "kind": HolidayKind.PUBLIC})
    _policy(per_incident=20 * 억, aggregate=40 * 억)
    snapshot = services.coverage_record(
        actor=officer, month=date(2025, 4, 1), as_of=date(2025, 5, 2), basis_value_krw=100 * 억, reserve_krw=5 * 억
    )
    assert snapshot.basis == CoverageBasis.HOT_WALLET
    assert snapshot.required_krw == 30 * 억
    assert snapshot.shortfall_krw == 5 * 억  # per-incident 20억 + reserve 5억 = 25억 < 30억
    assert snapshot.status == CoverageSnapshot.Status.SHORTFALL
    assert snapshot.fix_by == date(2025, 5, 7)


@override_settings(COVERAGE_BASIS="user_assets", COVERAGE_LICENCE="other")
def test_user_assets_basis_at_month_end_is_fixed_by_the_tenth_of_next_month(officer):
    _policy(per_incident=3 * 억)
    snapshot = services.coverage_record(
        actor=officer, month=date(2025, 1, 1), basis_value_krw=80 * 억, reserve_krw=1 * 억
    )
    assert snapshot.as_of == date(2025, 1, 31)
    assert snapshot.basis == CoverageBasis.USER_ASSETS and snapshot.licence_type == "other"
    assert snapshot.required_krw == 5 * 억  # 5% of 80억 = 4억 < 5억 minimum
    assert snapshot.shortfall_krw == 1 * 억
    assert snapshot.fix_by == date(2025, 2, 10)


def test_a_high_aggregate_does_not_hide_a_per_incident_limit_below_the_standard(officer):
    _policy(per_incident=10 * 억, aggregate=100 * 억)
    snapshot = services.coverage_record(actor=officer, month=date(2025, 3, 1), basis_value_krw=100 * 억, reserve_krw=0)
    assert snapshot.shortfall_krw == 20 * 억


def test_covered_month_has_no_deadline_and_a_month_is_checked_once(officer):
    _policy(per_incident=30 * 억)
    snapshot = services.coverage_record(actor=officer, month=date(2025, 3, 1), basis_value_krw=100 * 억, reserve_krw=0)
    assert (snapshot.status, snapshot.shortfall_krw, snapshot.fix_by) == ("covered", 0, None)
    with pytest.raises(DomainError) as refused:
        services.coverage_record(actor=officer, month=date(2025, 3, 1), basis_value_krw=1, reserve_krw=0)
    assert refused.value.code == ErrorCode.DUPLICATE


def test_fixing_needs_the_full_amount_and_records_who_and_how(officer):
    _policy(per_incident=20 * 억)
    snapshot = services.coverage_record(
        actor=officer, month=date(2025, 3, 1), basis_value_krw=100 * 억, reserve_krw=5 * 억
    )
    with pytest.raises(DomainError):
        services.coverage_fix(snapshot=snapshot, actor=officer, reserve_krw=9 * 억, note="준비금 추가 적립", now=APRIL)
    fixed = services.coverage_fix(
        snapshot=snapshot, actor=officer, reserve_krw=10 * 억, note="준비금 추가 적립", now=APRIL
    )
    assert fixed.status == CoverageSnapshot.Status.FIXED and fixed.fixed_by == officer


def test_only_compliance_records_coverage(db):
    with pytest.raises(DomainError) as refused:
        services.coverage_record(actor=AgentFactory(), month=date(2025, 3, 1), basis_value_krw=1, reserve_krw=0)
    assert refused.value.code == ErrorCode.FORBIDDEN


# --- exposure -------------------------------------------------------------------------------
def test_exposure_warns_at_the_threshold_and_flags_above_the_cover(world, officer):
    _policy(per_incident=1_000_000, aggregate=1_500_000, number="P-small")
    claim = world.claim_in(ClaimState.IN_REVIEW)  # the World incident is dated 2025-01-20
    rows, aggregates = exposure_by_incident(warning_percent=80)
    row = next(r for r in rows if r["incident"].pk == world.incident.pk)
    assert row["cover_krw"] == 1_000_000
    assert row["claimed_krw"] == claim.amount_claimed_krw

    def level_at(claimed):
        type(claim).objects.filter(pk=claim.pk).update(amount_claimed_krw=claimed)
        rows, aggregates = exposure_by_incident(warning_percent=80)
        return next(r for r in rows if r["incident"].pk == world.incident.pk)["level"], aggregates[0]["level"]

    assert level_at(700_000) == ("ok", "ok")
    assert level_at(800_000) == ("warning", "ok")
    assert level_at(1_300_000) == ("over", "warning")
    assert level_at(1_600_000) == ("over", "over")


def test_batches_not_yet_issued_count_towards_exposure(world, officer):
    _policy(per_incident=10_000_000)
    CompensationBatch.objects.create(
        incident=world.incident, created_by=officer, state=BatchState.APPROVED, total_krw=9_000_000, minimum_krw=0
    )
    rows, _aggregates = exposure_by_incident(warning_percent=80)
    row = next(r for r in rows if r["incident"].pk == world.incident.pk)
    assert row["batches_pending_krw"] == 9_000_000
    # No claims: exposure is the pending batch alone, 90 % of the 10,000,000 cover.
    assert (row["exposure_krw"], row["level"]) == (9_000_000, "warning")


def test_incident_impact_by_hand(world):
    """The regulator report's impact figures: withdrawn claims and rejected decisions add nothing."""
    world.claim_in(ClaimState.PAID)  # claimed 300,000, approved 200,000, paid 200,000
    world.claim_in(ClaimState.DECIDED, claimant=world.other_user)  # claimed 300,000, approved 200,000
    rejected = world.claim_in(ClaimState.IN_REVIEW, claimant=UserFactory())  # claimed 300,000
    services.claim_decide(claim=rejected, actor=world.agent, approved=False, amount_krw=0, reasons="대상 아님")
    withdrawn_by = UserFactory()
    services.claim_withdraw(claim=world.submit(actor=withdrawn_by), actor=withdrawn_by)
    orders = (
        "order_id,email,asset,side,quantity,price_krw,attempted_at\n"
        "O-1,a@example.com,BTC,buy,0.01,100000000,2025-01-20 09:30\n"
        "O-2,a@example.com,ETH,sell,1,5000000,2025-01-20 09:40\n"
        "O-3,b@example.com,BTC,buy,0.02,100000000,2025-01-20 09:50\n"
    )
    assert not services.affected_orders_import(incident=world.incident, actor=world.supervisor, csv_text=orders).errors
    assert incident_impact(world.incident) == {
        "claims": 3,
        "claimants": 3,
        "claimed_krw": 900_000,
        "decided_claims": 3,
        "approved_krw": 400_000,
        "paid_krw": 200_000,
        "affected_orders": 3,
        "affected_addresses": 2,
    }


def _check(officer, *, as_of, reserve, fixed_reserve=None):
    return CoverageSnapshot.objects.create(
        month=as_of.replace(day=1),
        as_of=as_of,
        basis=CoverageBasis.USER_ASSETS,
        basis_value_krw=0,
        licence_type="krw_market",
        required_krw=0,
        insurance_aggregate_krw=0,
        insurance_per_incident_krw=0,
        reserve_krw=reserve,
        shortfall_krw=0,
        status=CoverageSnapshot.Status.COVERED,
        fixed_reserve_krw=fixed_reserve,
        recorded_by=officer,
    )


def test_exposure_and_cover_figures_by_hand(world, officer):
    """Exposure = max(claimed, approved) + a batch computed or approved (issued, its claims are decided);
    cover = per-incident limits of every policy in force on the incident's date + the reserve of the latest
    check by then (its reserve after a fix, when fixed)."""
    _policy(per_incident=10_000_000, aggregate=12_000_000, number="P-1")
    _policy(per_incident=5_000_000, aggregate=20_000_000, number="P-2")
    _policy(per_incident=99_000_000, starts=date(2025, 2, 1), number="P-later")  # not in force on 2025-01-20
    _check(officer, as_of=date(2024, 12, 31), reserve=2_000_000)
    _check(officer, as_of=date(2025, 1, 10), reserve=1_000_000, fixed_reserve=3_000_000)
    _check(officer, as_of=date(2025, 2, 28), reserve=7_000_000)  # after the incident
    claim = world.claim_in(ClaimState.DECIDED)  # claimed 300,000, approved 200,000
    batch = CompensationBatch.objects.create(
        incident=world.incident, created_by=officer, state=BatchState.APPROVED, total_krw=10_000_000, minimum_krw=0
    )

    def figures():
        rows, aggregates = exposure_by_incident(warning_percent=80)
        row = next(r for r in rows if r["incident"].pk == world.incident.pk)
        return row, {a["policy"].policy_number: (a["exposure_krw"], a["level"]) for a in aggregates}

    row, aggregates = figures()
    assert (row["claimed_krw"], row["approved_krw"], row["paid_krw"]) == (300_000, 200_000, 0)
    assert (row["batches_issued_krw"], row["batches_pending_krw"]) == (0, 10_000_000)
    assert row["exposure_krw"] == 300_000 + 10_000_000  # claimed is the larger
    assert row["cover_krw"] == 10_000_000 + 5_000_000 + 3_000_000
    assert row["level"] == "ok"  # 10,300,000 < 80 % of 18,000,000 = 14,400,000
    # Each policy period: its incidents' exposure against its aggregate limit (80 % of 12,000,000 = 9,600,000).
    assert aggregates == {"P-1": (10_300_000, "warning"), "P-2": (10_300_000, "ok"), "P-later": (0, "ok")}

    type(claim).objects.filter(pk=claim.pk).update(amount_claimed_krw=100_000)
    row, _aggregates = figures()
    assert row["exposure_krw"] == 200_000 + 10_000_000  # now the approved amount is the larger

    CompensationBatch.objects.filter(pk=batch.pk).update(state=BatchState.ISSUED)
    row, _aggregates = figures()
    assert (row["batches_issued_krw"], row["batches_pending_krw"]) == (10_000_000, 0)
    assert row["exposure_krw"] == 200_000  # an issued batch's claims are decided claims already


def test_no_cover_is_over_as_soon_as_anything_is_exposed(world, officer):
    rows, _aggregates = exposure_by_incident(warning_percent=80)
    row = next(r for r in rows if r["incident"].pk == world.incident.pk)
    assert (row["cover_krw"], row["exposure_krw"], row["level"]) == (0, 0, "ok")
    world.claim_in(ClaimState.IN_REVIEW)
    rows, _aggregates = exposure_by_incident(warning_percent=80)
    row = next(r for r in rows if r["incident"].pk == world.incident.pk)
    assert (row["cover_krw"], row["exposure_krw"], row["level"]) == (0, 300_000, "over")


# --- alerts, pages ----------------------------------------------------------------------------
def test_a_shortfall_alerts_compliance_until_its_fix_by_date(world, at, officer, django_capture_on_commit_callbacks):
    from compensation.models import Notification
    from compensation.notifications import staff_alerts

    _policy(per_incident=10 * 억)
    snapshot = services.coverage_record(
        actor=officer, month=date(2025, 1, 1), as_of=date(2025, 1, 22), basis_value_krw=100 * 억, reserve_krw=0
    )
    assert snapshot.fix_by == date(2025, 1, 23)
    with django_capture_on_commit_callbacks(execute=True):
        staff_alerts.sweep()
    rows = Notification.objects.filter(context__deadline="coverage_shortfall")
    assert officer.pk in set(rows.values_list("recipient_id", flat=True))
    assert {row.context["stage"] for row in rows} == {"d1"}


def test_the_coverage_page_and_the_public_disclosure(client, officer):
    today = date.today()
    _policy(
        per_incident=30 * 억, aggregate=50 * 억, starts=today.replace(day=1), ends=today.replace(year=today.year + 1)
    )
    client.force_login(officer)
    page = client.post(
        "/admin/compensation/coveragesnapshot/",
        {
            "action": "record",
            "month": today.isoformat(),
            "as_of": "",
            "basis_value_krw": str(100 * 억),
            "reserve_krw": "0",
            "licence_type": "krw_market",
        },
        follow=True,
    )
    assert page.status_code == 200 and CoverageSnapshot.objects.count() == 1
    assert "<svg" in page.content.decode() and "report-chart" in page.content.decode()
    public = client.get("/coverage/").content.decode()
    assert "가나다손해보험" in public and "3,000,000,000" in public
