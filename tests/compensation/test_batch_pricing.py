"""Proactive batch amounts, branch by branch, each against a hand-computed figure.

Executable price = the first traded price at or after recovery (the incident ends 2025-01-20 11:00 KST).
Orders: BUY max(0, executable − intended) × quantity, SELL max(0, intended − executable) × quantity,
cut to whole KRW. Transfers: KRW value × rate × days / 365 (days started count whole, at least one),
cut to whole KRW. Logins: the policy's fixed amount once per account. Every line is capped; a line
below the batch minimum is not issued.
"""

from decimal import Decimal

import pytest

from compensation import services
from compensation.models import BatchLine, Claim, DamageType, LineOutcome, Method
from compensation.services.assessment import suggest_amount
from tests.compensation.factories import PolicyFactory
from tests.compensation.proactive_world import import_logs

PRICES = """asset,traded_at,price_krw
BTC,2025-01-20 10:30,50000000
BTC,2025-01-20 11:00,101000000
BTC,2025-01-20 11:05,120000000
ETH,2025-01-20 11:02,4900000
XRP,2025-01-20 11:00,903
ADA,2025-01-20 11:00,1500
"""
ORDERS = """order_id,account_id,asset,side,quantity,price_krw,attempted_at
O-1,BUY-UP,BTC,buy,0.01,100000000,2025-01-20 09:30
O-2,BUY-DOWN,BTC,buy,0.01,102000000,2025-01-20 09:31
O-3,SELL-DOWN,ETH,sell,1,5000000,2025-01-20 09:32
O-4,SELL-UP,ETH,sell,1,4800000,2025-01-20 09:33
O-5,UNDER-ONE-WON,XRP,buy,0.333,900,2025-01-20 09:34
O-6,FRACTION,XRP,buy,1.5,900,2025-01-20 09:35
O-7,SELL-PART,ETH,sell,0.8,5200000,2025-01-20 09:36
O-8,CAPPED,BTC,buy,2,98000000,2025-01-20 09:37
O-9,AT-MINIMUM,ADA,buy,1,500,2025-01-20 09:38
O-10,SMALL-QTY,BTC,buy,0.0123,100000000,2025-01-20 09:39
"""
TRANSFERS = """account_id,direction,asset,amount,requested_at,completed_at
KRW-2D,withdrawal,KRW,10000000,2025-01-20 09:30,2025-01-22 09:30
KRW-1H,withdrawal,KRW,10000000,2025-01-20 09:30,2025-01-20 10:30
KRW-25H,deposit,KRW,10000000,2025-01-20 09:30,2025-01-21 10:30
BTC-3D,withdrawal,BTC,0.5,2025-01-20 09:30,2025-01-23 09:30
"""
LOGINS = """account_id,attempted_at
LOGIN,2025-01-20 09:10
LOGIN,2025-01-20 09:20
"""
ACCOUNTS = "account_id,email\n" + "".join(
    f"{account},{account.lower()}@exchange.test\n"
    for account in (
        *(line.split(",")[1] for line in ORDERS.splitlines()[1:]),
        *(line.split(",")[0] for line in TRANSFERS.splitlines()[1:]),
        "LOGIN",
    )
)


@pytest.fixture
def lines(world, at, settings):
    """The batch's lines by account, computed from the logs above (cap 5,000,000, minimum 1,000)."""
    at(2025, 1, 21, 10)
    settings.COMPENSATION_BATCH_MIN_KRW = 1000
    interest = PolicyFactory(
        damage_type=DamageType.DELAYED_FUNDS, name="이자", method=Method.INTEREST, annual_interest_rate_bp=350
    )
    fixed = PolicyFactory(
        damage_type=DamageType.OTHER, name="정액", method=Method.FIXED_AMOUNT, fixed_amount_krw=10_000
    )
    import_logs(world, accounts=ACCOUNTS, prices=PRICES, orders=ORDERS, transfers=TRANSFERS, logins=LOGINS)
    batch = services.batch_create(incident=world.incident, actor=world.supervisor)
    batch = services.batch_compute(batch=batch, actor=world.supervisor)
    found = {line.account_id: line for line in BatchLine.objects.filter(batch=batch)}
    assert {found[a].policy_id for a in ("KRW-2D", "BTC-3D")} == {interest.pk}
    assert found["LOGIN"].policy_id == fixed.pk
    return found


ISSUE, NOTHING, BELOW = LineOutcome.ISSUE, LineOutcome.NOTHING, LineOutcome.BELOW_MINIMUM


@pytest.mark.parametrize(
    "account, computed, amount, capped, outcome",
    [
        # BUY, market rose: (101,000,000 − 100,000,000) × 0.01 (the 10:30 price is before recovery)
        ("BUY-UP", 10_000, 10_000, False, ISSUE),
        # BUY, market fell: max(0, 101,000,000 − 102,000,000) → nothing owed
        ("BUY-DOWN", 0, 0, False, NOTHING),
        # SELL, market fell: (5,000,000 − 4,900,000) × 1
        ("SELL-DOWN", 100_000, 100_000, False, ISSUE),
        # SELL, market rose: max(0, 4,800,000 − 4,900,000)
        ("SELL-UP", 0, 0, False, NOTHING),
        # (903 − 900) × 0.333 = 0.999 → cut to 0
        ("UNDER-ONE-WON", 0, 0, False, NOTHING),
        # (903 − 900) × 1.5 = 4.5 → 4, under the 1,000 minimum
        ("FRACTION", 4, 4, False, BELOW),
        # (5,200,000 − 4,900,000) × 0.8
        ("SELL-PART", 240_000, 240_000, False, ISSUE),
        # (101,000,000 − 98,000,000) × 2 = 6,000,000 → the 5,000,000 cap
        ("CAPPED", 6_000_000, 5_000_000, True, ISSUE),
        # (1,500 − 500) × 1 = 1,000: exactly the minimum is issued
        ("AT-MINIMUM", 1_000, 1_000, False, ISSUE),
        # (101,000,000 − 100,000,000) × 0.0123
        ("SMALL-QTY", 12_300, 12_300, False, ISSUE),
        # 10,000,000 × 3.5 % × 2 / 365 = 1,917.8 → 1,917
        ("KRW-2D", 1_917, 1_917, False, ISSUE),
        # one hour counts as a whole day: 10,000,000 × 3.5 % × 1 / 365 = 958.9 → 958, under the minimum
        ("KRW-1H", 958, 958, False, BELOW),
        # 25 hours are two days started: as KRW-2D
        ("KRW-25H", 1_917, 1_917, False, ISSUE),
        # 0.5 BTC at the executable 101,000,000 = 50,500,000 × 3.5 % × 3 / 365 = 14,527.4 → 14,527
        ("BTC-3D", 14_527, 14_527, False, ISSUE),
        # two failed logins, one fixed amount
        ("LOGIN", 10_000, 10_000, False, ISSUE),
    ],
)
def test_each_branch_of_the_batch_price(lines, account, computed, amount, capped, outcome):
    line = lines[account]
    assert (line.computed_krw, line.amount_krw, line.capped, line.outcome) == (computed, amount, capped, outcome)


def test_the_fixed_amount_is_capped_too(world, at, settings):
    at(2025, 1, 21, 10)
    fixed = PolicyFactory(
        damage_type=DamageType.OTHER, method=Method.FIXED_AMOUNT, fixed_amount_krw=30_000, cap_krw=20_000
    )
    services.exchange_accounts_import(actor=world.supervisor, csv_text="account_id,email\nLOGIN,l@exchange.test\n")
    services.failed_logins_import(incident=world.incident, actor=world.supervisor, csv_text=LOGINS)
    batch = services.batch_compute(
        batch=services.batch_create(incident=world.incident, actor=world.supervisor), actor=world.supervisor
    )
    line = BatchLine.objects.get(batch=batch, account_id="LOGIN", policy=fixed)
    assert (line.computed_krw, line.amount_krw, line.capped) == (30_000, 20_000, True)
    assert batch.total_krw == 20_000


def test_the_batch_total_is_the_sum_of_the_lines_it_issues(lines):
    # 10,000 + 100,000 + 240,000 + 5,000,000 + 1,000 + 12,300 + 1,917 + 1,917 + 14,527 + 10,000
    batch = lines["LOGIN"].batch
    assert (batch.total_krw, batch.to_issue) == (5_391_661, 10)


SPLIT_ORDERS = """order_id,account_id,asset,side,quantity,price_krw,attempted_at
S-1,SPLIT,XRP,buy,1.5,900,2025-01-20 09:30
S-2,SPLIT,XRP,buy,1.5,900,2025-01-20 09:31
"""
SPLIT_TRANSFERS = """account_id,direction,asset,amount,requested_at,completed_at
SPLIT,withdrawal,KRW,10000000,2025-01-20 09:30,2025-01-20 10:30
SPLIT,deposit,KRW,10000000,2025-01-20 09:40,2025-01-20 10:40
"""


def _claim(policy, **evidence):
    return Claim(policy=policy, amount_claimed_krw=0, **evidence)


def test_an_account_with_several_rows_is_cut_to_the_won_once_as_its_claim_would_be(world, at, settings):
    """The same evidence gives the same amount in a batch line and in `suggest_amount` (one claim):
    the exact sum, cut to whole KRW once (README "Amounts"), never row by row."""
    at(2025, 1, 21, 10)
    settings.COMPENSATION_BATCH_MIN_KRW = 1
    interest = PolicyFactory(
        damage_type=DamageType.DELAYED_FUNDS, method=Method.INTEREST, annual_interest_rate_bp=350, cap_krw=5_000_000
    )
    services.exchange_accounts_import(actor=world.supervisor, csv_text="account_id,email\nSPLIT,s@exchange.test\n")
    services.market_prices_import(incident=world.incident, actor=world.supervisor, csv_text=PRICES)
    for call, text in (
        (services.affected_orders_import, SPLIT_ORDERS),
        (services.delayed_transfers_import, SPLIT_TRANSFERS),
    ):
        assert not call(incident=world.incident, actor=world.supervisor, csv_text=text).errors
    batch = services.batch_compute(
        batch=services.batch_create(incident=world.incident, actor=world.supervisor), actor=world.supervisor
    )
    order_line = BatchLine.objects.get(batch=batch, account_id="SPLIT", policy__method=Method.PRICE_DIFFERENCE)
    interest_line = BatchLine.objects.get(batch=batch, account_id="SPLIT", policy=interest)
    # (903 − 900) × 1.5 + (903 − 900) × 1.5 = 4.5 + 4.5 = 9 (row by row: 4 + 4 = 8)
    assert (order_line.computed_krw, order_line.amount_krw) == (9, 9)
    # 10,000,000 × 3.5 % × 1 / 365 twice = 958.9 + 958.9 = 1,917.8 → 1,917 (row by row: 958 + 958 = 1,916)
    assert (interest_line.computed_krw, interest_line.amount_krw) == (1_917, 1_917)
    # The same evidence as one claim: one order of 3 XRP; 20,000,000 KRW delayed one day.
    buy = _claim(order_line.policy, side="buy", intended_price_krw=900, reference_price_krw=903, quantity=Decimal(3))
    delayed = _claim(interest, delayed_amount_krw=20_000_000, delay_days=1)
    assert (suggest_amount(buy).amount_krw, suggest_amount(delayed).amount_krw) == (9, 1_917)
