"""The suggested amount for every method: the side of the trade, caps, rounding and missing inputs."""

from decimal import Decimal

import pytest
from django.utils import translation

from compensation.models import Claim, CompensationPolicy, Method
from compensation.services.assessment import suggest_amount


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _policy(**terms):
    terms.setdefault("method", Method.PRICE_DIFFERENCE)
    terms.setdefault("cap_krw", 5_000_000)
    return CompensationPolicy(
        incident_type="order_failure", damage_type="missed_trade", name="p", criteria="c", **terms
    )


def _claim(policy=None, **values):
    return Claim(policy=policy or _policy(), amount_claimed_krw=0, **values)


def _trade(side, intended, executable, quantity="0.01", **terms):
    return _claim(
        _policy(**terms),
        side=side,
        intended_price_krw=intended,
        reference_price_krw=executable,
        quantity=Decimal(quantity),
    )


def test_failed_buy_whose_market_fell_is_offered_nothing():
    """Issue 13, case 5: BUY intended at 135,000,000, market later 98,300,000: the user could buy cheaper."""
    suggestion = suggest_amount(_trade("buy", 135_000_000, 98_300_000))
    assert suggestion.amount_krw == 0
    assert "BUY" in suggestion.explanation


def test_failed_buy_whose_market_rose_pays_the_rise():
    suggestion = suggest_amount(_trade("buy", 100_000_000, 102_500_000))
    assert suggestion.amount_krw == 25_000
    assert suggestion.explanation == "BUY: max(0, executable 102,500,000 − intended 100,000,000) × 0.01 = 25,000 KRW"


def test_failed_sell_whose_market_fell_pays_the_fall():
    suggestion = suggest_amount(_trade("sell", 135_000_000, 98_300_000))
    assert suggestion.amount_krw == 367_000
    assert suggestion.explanation.startswith("SELL: max(0, intended 135,000,000 − executable 98,300,000) × 0.01")


def test_failed_sell_whose_market_rose_is_offered_nothing():
    assert suggest_amount(_trade("sell", 100_000_000, 102_500_000)).amount_krw == 0


def test_price_difference_is_capped():
    suggestion = suggest_amount(_trade("buy", 100_000_000, 150_000_000, quantity="1", cap_krw=3_000_000))
    assert suggestion.amount_krw == 3_000_000
    assert suggestion.uncapped_krw == 50_000_000
    assert suggestion.capped
    assert "(capped at 3,000,000 KRW)" in suggestion.explanation


def test_fractions_of_a_won_are_cut_off():
    # (100,000,001 − 100,000,000) × 0.999 = 0.999 KRW → 0; 1,999 × 0.5 = 999.5 → 999
    assert suggest_amount(_trade("buy", 100_000_000, 100_000_001, quantity="0.999")).amount_krw == 0
    assert suggest_amount(_trade("sell", 100_001_999, 100_000_000, quantity="0.5")).amount_krw == 999


@pytest.mark.parametrize(
    "missing",
    [
        {"intended_price_krw": None},
        {"reference_price_krw": None},
        {"quantity": None},
    ],
)
def test_price_difference_without_its_inputs_suggests_nothing(missing):
    claim = _trade("buy", 100_000_000, 102_500_000)
    for name, value in missing.items():
        setattr(claim, name, value)
    suggestion = suggest_amount(claim)
    assert suggestion.amount_krw is None
    assert "Needs the intended price" in suggestion.explanation


def test_price_difference_without_a_side_suggests_nothing():
    suggestion = suggest_amount(_trade("", 100_000_000, 102_500_000))
    assert suggestion.amount_krw is None
    assert "side" in suggestion.explanation


def test_fixed_amount_pays_the_fixed_amount_capped():
    assert suggest_amount(_claim(_policy(method=Method.FIXED_AMOUNT, fixed_amount_krw=30_000))).amount_krw == 30_000
    capped = suggest_amount(_claim(_policy(method=Method.FIXED_AMOUNT, fixed_amount_krw=30_000, cap_krw=20_000)))
    assert (capped.amount_krw, capped.uncapped_krw) == (20_000, 30_000)


def test_fixed_amount_without_an_amount_suggests_nothing():
    assert suggest_amount(_claim(_policy(method=Method.FIXED_AMOUNT))).amount_krw is None


def test_fee_refund_refunds_the_fees_capped():
    policy = _policy(method=Method.FEE_REFUND, cap_krw=10_000)
    assert suggest_amount(_claim(policy, fee_krw=4_321)).amount_krw == 4_321
    assert suggest_amount(_claim(policy, fee_krw=12_000)).amount_krw == 10_000
    missing = suggest_amount(_claim(policy))
    assert missing.amount_krw is None and "fees" in missing.explanation


def test_interest_pays_the_rate_for_the_days_delayed():
    policy = _policy(method=Method.INTEREST, annual_interest_rate_bp=350)
    # 10,000,000 × 3.5% × 3 / 365 = 2,876.71… → 2,876
    suggestion = suggest_amount(_claim(policy, delayed_amount_krw=10_000_000, delay_days=3))
    assert suggestion.amount_krw == 2_876
    assert suggestion.explanation == "10,000,000 × 3.50% × 3/365 days = 2,876 KRW"
    assert suggest_amount(_claim(policy, delayed_amount_krw=10_000_000, delay_days=0)).amount_krw == 0


def test_interest_is_capped():
    policy = _policy(method=Method.INTEREST, annual_interest_rate_bp=1_000, cap_krw=1_000)
    assert suggest_amount(_claim(policy, delayed_amount_krw=10_000_000, delay_days=30)).amount_krw == 1_000


@pytest.mark.parametrize(
    "values, policy_terms",
    [
        ({"delay_days": 3}, {"annual_interest_rate_bp": 350}),
        ({"delayed_amount_krw": 10_000_000}, {"annual_interest_rate_bp": 350}),
        ({"delayed_amount_krw": 10_000_000, "delay_days": 3}, {}),
    ],
)
def test_interest_without_its_inputs_suggests_nothing(values, policy_terms):
    policy = _policy(method=Method.INTEREST, **policy_terms)
    assert suggest_amount(_claim(policy, **values)).amount_krw is None


def test_manual_is_assessed_by_hand():
    suggestion = suggest_amount(_claim(_policy(method=Method.MANUAL)))
    assert suggestion.amount_krw is None
    assert suggestion.explanation == "Assessed case by case."


PRICE, FIXED, FEE, INTEREST = Method.PRICE_DIFFERENCE, Method.FIXED_AMOUNT, Method.FEE_REFUND, Method.INTEREST


@pytest.mark.parametrize(
    "terms, values, amount, uncapped",
    [
        # BUY: max(0, executable − intended) × quantity
        (
            {},
            dict(side="buy", intended_price_krw=100_000_000, reference_price_krw=102_500_000, quantity="0.01"),
            25_000,
            25_000,
        ),
        ({}, dict(side="buy", intended_price_krw=135_000_000, reference_price_krw=98_300_000, quantity="0.01"), 0, 0),
        ({}, dict(side="buy", intended_price_krw=100_000_000, reference_price_krw=100_000_000, quantity="1"), 0, 0),
        # SELL: max(0, intended − executable) × quantity
        (
            {},
            dict(side="sell", intended_price_krw=135_000_000, reference_price_krw=98_300_000, quantity="0.01"),
            367_000,
            367_000,
        ),
        ({}, dict(side="sell", intended_price_krw=100_000_000, reference_price_krw=102_500_000, quantity="0.01"), 0, 0),
        # zero quantity: nothing, whatever the move
        ({}, dict(side="buy", intended_price_krw=100_000_000, reference_price_krw=150_000_000, quantity="0"), 0, 0),
        # cut to whole KRW: 600,000 × 0.00012345 = 74.07 → 74; 3,000 × 0.3333 = 999.9 → 999
        (
            {},
            dict(side="buy", intended_price_krw=98_000_000, reference_price_krw=98_600_000, quantity="0.00012345"),
            74,
            74,
        ),
        (
            {},
            dict(side="sell", intended_price_krw=100_003_000, reference_price_krw=100_000_000, quantity="0.3333"),
            999,
            999,
        ),
        # the cap: hit (BUY 50,000,000, SELL 200,000), exactly reached (not "capped"), not reached
        (
            {"cap_krw": 3_000_000},
            dict(side="buy", intended_price_krw=100_000_000, reference_price_krw=150_000_000, quantity="1"),
            3_000_000,
            50_000_000,
        ),
        (
            {"cap_krw": 150_000},
            dict(side="sell", intended_price_krw=5_200_000, reference_price_krw=4_950_000, quantity="0.8"),
            150_000,
            200_000,
        ),
        (
            {"cap_krw": 3_000_000},
            dict(side="buy", intended_price_krw=100_000_000, reference_price_krw=103_000_000, quantity="1"),
            3_000_000,
            3_000_000,
        ),
        # fixed amount: below, at and above the cap
        ({"method": FIXED, "fixed_amount_krw": 30_000}, {}, 30_000, 30_000),
        ({"method": FIXED, "fixed_amount_krw": 20_000, "cap_krw": 20_000}, {}, 20_000, 20_000),
        ({"method": FIXED, "fixed_amount_krw": 30_000, "cap_krw": 20_000}, {}, 20_000, 30_000),
        # fee refund: the fees, capped; no fee charged is 0
        ({"method": FEE, "cap_krw": 10_000}, {"fee_krw": 4_321}, 4_321, 4_321),
        ({"method": FEE, "cap_krw": 10_000}, {"fee_krw": 10_000}, 10_000, 10_000),
        ({"method": FEE, "cap_krw": 10_000}, {"fee_krw": 12_000}, 10_000, 12_000),
        ({"method": FEE}, {"fee_krw": 0}, 0, 0),
        # interest: amount × rate × days / 365, cut to whole KRW
        (
            {"method": INTEREST, "annual_interest_rate_bp": 350},
            {"delayed_amount_krw": 10_000_000, "delay_days": 3},
            2_876,
            2_876,
        ),
        (
            {"method": INTEREST, "annual_interest_rate_bp": 350},
            {"delayed_amount_krw": 10_000_000, "delay_days": 365},
            350_000,
            350_000,
        ),
        (
            {"method": INTEREST, "annual_interest_rate_bp": 350},
            {"delayed_amount_krw": 1_000_000, "delay_days": 1},
            95,
            95,
        ),
        (
            {"method": INTEREST, "annual_interest_rate_bp": 125},
            {"delayed_amount_krw": 20_000_000, "delay_days": 7},
            4_794,
            4_794,
        ),
        (
            {"method": INTEREST, "annual_interest_rate_bp": 350},
            {"delayed_amount_krw": 10_000_000, "delay_days": 0},
            0,
            0,
        ),
        (
            {"method": INTEREST, "annual_interest_rate_bp": 0},
            {"delayed_amount_krw": 10_000_000, "delay_days": 30},
            0,
            0,
        ),
        # 10,000,000 × 10 % × 30 / 365 = 82,191.78 → 82,191, capped at 1,000
        (
            {"method": INTEREST, "annual_interest_rate_bp": 1_000, "cap_krw": 1_000},
            {"delayed_amount_krw": 10_000_000, "delay_days": 30},
            1_000,
            82_191,
        ),
    ],
)
def test_suggested_amount_branch_by_branch(terms, values, amount, uncapped):
    if "quantity" in values:
        values = {**values, "quantity": Decimal(values["quantity"])}
    suggestion = suggest_amount(_claim(_policy(**terms), **values))
    assert (suggestion.amount_krw, suggestion.uncapped_krw) == (amount, uncapped)
    assert suggestion.capped == (amount != uncapped)
    assert suggestion.explanation.endswith(f" = {amount:,} KRW")


def test_case_page_shows_the_formula_with_the_side(world, client):
    from django.urls import reverse

    from compensation import services

    claim = world.submit(side="buy", intended_price_krw=135_000_000, quantity="0.01")
    services.claim_record_assessment(claim=claim, actor=world.agent, reference_price_krw=98_300_000)
    client.force_login(world.agent)
    page = client.get(reverse("admin:compensation_claim_change", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "BUY: max(0, executable 98,300,000 − intended 135,000,000) × 0.01 = 0 KRW" in text
