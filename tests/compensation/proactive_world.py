"""The proactive world: four exchange accounts with failed orders, a delayed withdrawal and failed logins."""

import pytest
from django.utils import translation

from compensation import services
from compensation.models import DamageType, Method
from tests.compensation.factories import PolicyFactory
from tests.factories import ComplianceFactory

ACCOUNTS = """account_id,email
A-1,one@exchange.test
A-2,two@exchange.test
A-3,three@exchange.test
A-4,four@exchange.test
"""
ORDERS = """order_id,account_id,asset,side,quantity,price_krw,attempted_at
O-1,A-1,BTC,buy,0.01,100000000,2025-01-20 09:41:07
O-2,A-2,ETH,sell,1,5000000,2025-01-20 09:50
O-3,A-3,BTC,buy,0.1,100000000,2025-01-20 10:00
O-4,A-4,XRP,buy,1,900,2025-01-20 10:10
O-5,A-1,ETH,buy,1,5000000,2025-01-20 10:20
"""
PRICES = """asset,traded_at,price_krw
BTC,2025-01-20 10:30,50000000
BTC,2025-01-20 11:00,101000000
ETH,2025-01-20 11:05,4900000
XRP,2025-01-20 11:00,901
"""
TRANSFERS = """account_id,direction,asset,amount,requested_at,completed_at
A-1,withdrawal,KRW,10000000,2025-01-20 09:30,2025-01-22 09:30
"""
LOGINS = """account_id,attempted_at
A-2,2025-01-20 09:10
A-2,2025-01-20 09:20
"""


@pytest.fixture
def proactive(world, at, settings):
    at(2025, 1, 21, 10)
    settings.COMPENSATION_BATCH_MIN_KRW = 1000
    world.interest = PolicyFactory(
        damage_type=DamageType.DELAYED_FUNDS,
        name="입출금 지연 이자",
        method=Method.INTEREST,
        annual_interest_rate_bp=350,
    )
    world.fixed = PolicyFactory(
        damage_type=DamageType.OTHER, name="로그인 장애 정액", method=Method.FIXED_AMOUNT, fixed_amount_krw=10_000
    )
    world.compliance = ComplianceFactory()
    import_logs(world, accounts=ACCOUNTS, prices=PRICES, orders=ORDERS, transfers=TRANSFERS, logins=LOGINS)
    return world


def import_logs(world, *, accounts, prices, orders, transfers, logins):
    """The exchange's account list, market prices and three logs for `world.incident`, each clean."""
    with translation.override("en"):
        assert not services.exchange_accounts_import(actor=world.supervisor, csv_text=accounts).errors
        assert not services.market_prices_import(
            incident=world.incident, actor=world.supervisor, csv_text=prices
        ).errors
        for call, text in (
            (services.affected_orders_import, orders),
            (services.delayed_transfers_import, transfers),
            (services.failed_logins_import, logins),
        ):
            result = call(incident=world.incident, actor=world.supervisor, csv_text=text)
            assert not result.errors, result.errors


def computed(world):
    batch = services.batch_create(incident=world.incident, actor=world.supervisor)
    return services.batch_compute(batch=batch, actor=world.supervisor)


def issued(world, django_capture_on_commit_callbacks):
    batch = computed(world)
    services.batch_approve(batch=batch, actor=world.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        return services.batch_issue(batch=batch, actor=world.supervisor)
