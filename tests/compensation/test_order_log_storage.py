"""Order logs at scale: on PostgreSQL an incident's first clean log becomes a partition of its own
(indexed after the load); every other file goes through the staging checks. Either way the same
rows, the same refusals with line numbers, all or nothing, and no duplicate ever recorded."""

import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from compensation import selectors, services
from compensation.models import AffectedOrder
from compensation.services.imports import log_partitions
from compensation.services.imports.log_partitions import partition_name
from compensation.services.imports.logs import ORDERS as ORDERS_SPEC
from incidents.errors import DomainError
from tests.compensation.proactive_world import ACCOUNTS, ORDERS


def with_accounts(world, at):
    at(2025, 1, 21, 10)
    with translation.override("en"):
        assert not services.exchange_accounts_import(actor=world.supervisor, csv_text=ACCOUNTS).errors
    return world


@pytest.fixture
def accounts(world, at):
    return with_accounts(world, at)


def assert_first_order_recorded(world):
    """O-1 of ORDERS as recorded: the incident, who imported it, its account, no address, the KST time."""
    first = AffectedOrder.objects.get(order_ref="O-1")
    assert (first.incident, first.imported_by, first.account_id, first.email, first.error) == (
        world.incident,
        world.supervisor,
        "A-1",
        "",
        "",
    )
    assert first.attempted_at.isoformat() == "2025-01-20T00:41:07+00:00"  # 09:41:07 KST


def import_orders(world, text, incident=None):
    with translation.override("en"):
        return services.affected_orders_import(
            incident=incident or world.incident, actor=world.supervisor, csv_text=text
        )


def own_partition(world):
    """The number of rows in the incident's own partition, or None when it has none (or on SQLite)."""
    if connection.vendor != "postgresql":
        return None
    name = partition_name(ORDERS_SPEC, world.incident)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT count(*) FROM {name}")
        return cursor.fetchone()[0]


def test_a_clean_first_log_is_recorded_whole_with_who_and_when(accounts):
    result = import_orders(accounts, ORDERS)
    assert (result.read, result.added, result.unchanged, result.errors) == (5, 5, 0, [])
    assert_first_order_recorded(accounts)
    if connection.vendor == "postgresql":
        assert own_partition(accounts) == 5
    evidence = selectors.evidence_for(accounts.incident.pk, ["A-1"])["A-1"]["orders"]
    assert [row.order_ref for row in evidence] == ["O-1", "O-5"]


def test_the_same_orders_again_add_nothing_and_other_details_are_refused(accounts):
    import_orders(accounts, ORDERS)
    again = import_orders(accounts, ORDERS)
    assert (again.read, again.added, again.unchanged, again.errors) == (5, 0, 5, [])
    changed = import_orders(accounts, ORDERS.replace("O-3,A-3,BTC,buy,0.1", "O-3,A-3,BTC,buy,0.2"))
    assert changed.added == 0 and [line for line, _ in changed.errors] == [4]
    more = import_orders(accounts, ORDERS + "O-6,A-2,BTC,sell,1,1000,2025-01-20 10:30\n")
    assert (more.added, more.unchanged, more.errors) == (1, 5, [])
    assert AffectedOrder.objects.filter(incident=accounts.incident).count() == 6
    assert AffectedOrder.objects.get(order_ref="O-3").quantity == Decimal("0.1")


def test_the_same_order_twice_in_a_first_log_is_refused_by_line_and_nothing_stays(accounts):
    text = ORDERS + "O-2,A-2,ETH,sell,1,5000000,2025-01-20 09:50\n"
    result = import_orders(accounts, text)
    assert [(line, "line 3" in message) for line, message in result.errors] == [(7, True)]
    assert result.added == 0 and not AffectedOrder.objects.exists()
    assert own_partition(accounts) is None


def test_the_database_refuses_a_second_row_with_a_recorded_order_id(accounts):
    """The last guard under the checks: whichever way the rows came in, the unique index holds."""
    import_orders(accounts, ORDERS)
    row = AffectedOrder.objects.get(order_ref="O-1")
    row.pk = None
    row.price_krw = 1
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save(force_insert=True)
    assert AffectedOrder.objects.filter(order_ref="O-1").count() == 1


@pytest.mark.parametrize(
    "line, words",
    [
        ("O-9,A-9,BTC,buy,1,1000,2025-01-20 10:00", "Unknown exchange account"),
        ("O-9,A-1,BTC,buy,-1,1000,2025-01-20 10:00", "must not be negative"),
        ("O-9,A-1,BTC,buy,1,0,2025-01-20 10:00", "more than 0"),
        ("O-9,A-1,BTC,buy,1,1000,2025-01-19 10:00", "before the incident"),
        ("O-9,A-1,BTC,buy,0.0000000000000000001,1000,2025-01-20 10:00", "18 decimal places"),
        ("O-9,,BTC,buy,1,1000,2025-01-20 10:00", "exchange account id"),
        ("O-9,A-1,BTC,hold,1,1000,2025-01-20 10:00", "buy or sell"),
    ],
)
def test_a_bad_line_in_a_first_log_is_named_and_nothing_stays(accounts, line, words):
    result = import_orders(accounts, ORDERS + line + "\n")
    assert result.errors and result.errors[0][0] == 7 and words in result.errors[0][1], result.errors
    assert result.added == 0 and not AffectedOrder.objects.exists()
    assert own_partition(accounts) is None


def test_a_first_log_not_in_normal_form_is_normalised_as_ever(accounts):
    text = ORDERS.replace("O-1,A-1,BTC,buy", " O-1 ,A-1,btc , BUY").replace("O-4,A-4,XRP", "O-4,A-4,xrp")
    result = import_orders(accounts, text)
    assert (result.added, result.errors) == (5, [])
    first = AffectedOrder.objects.get(order_ref="O-1")
    assert (first.asset, first.side) == ("BTC", "buy")
    assert AffectedOrder.objects.get(order_ref="O-4").asset == "XRP"


def import_bytes(world, content):
    with translation.override("en"):
        return services.affected_orders_import(
            incident=world.incident, actor=world.supervisor, stream=io.BytesIO(content)
        )


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("block", [7, 1 << 18])
def test_a_first_log_read_as_bytes_is_recorded_whole_whatever_its_line_ends(accounts, monkeypatch, line_end, block):
    # The partition path reads the file as bytes (BOM and header split as the text reader does).
    monkeypatch.setattr(log_partitions, "BLOCK", block)
    content = b"\xef\xbb\xbf" + line_end.join(ORDERS.splitlines()).encode() + line_end.encode()
    result = import_bytes(accounts, content)
    assert (result.read, result.added, result.errors) == (5, 5, [])
    assert sorted(AffectedOrder.objects.values_list("order_ref", flat=True)) == ["O-1", "O-2", "O-3", "O-4", "O-5"]
    assert AffectedOrder.objects.get(order_ref="O-4").price_krw == 900


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
@pytest.mark.parametrize("where", ["middle", "last"])
@pytest.mark.parametrize("block", [7, 1 << 18])
def test_an_end_of_data_line_in_a_first_log_is_named_and_nothing_stays(accounts, monkeypatch, line_end, where, block):
    # COPY would stop reading at a line holding only \. and drop the lines after it.
    monkeypatch.setattr(log_partitions, "BLOCK", block)
    lines = ORDERS.splitlines()
    lines.insert(3 if where == "middle" else len(lines), "\\.")
    content = line_end.join(lines).encode() + (line_end.encode() if where == "middle" else b"")
    result = import_bytes(accounts, content)
    assert [line for line, _message in result.errors] == [4 if where == "middle" else 7]
    assert result.added == 0 and not AffectedOrder.objects.exists()
    assert own_partition(accounts) is None


def test_a_first_log_that_is_not_utf8_is_refused_with_a_message_and_nothing_stays(accounts):
    content = ORDERS.encode() + "O-6,A-1,비트,buy,1,1000,2025-01-20 10:00\n".encode("cp949")
    with pytest.raises(DomainError) as refused:
        import_bytes(accounts, content)
    assert "UTF-8" in refused.value.message
    assert not AffectedOrder.objects.exists()
    assert own_partition(accounts) is None


def test_evidence_rows_come_in_time_order_whatever_their_ids(accounts):
    """Ids of a large first log follow no file order (two COPYs, a cached sequence): staff read evidence by time."""
    import_orders(accounts, ORDERS)
    import_orders(accounts, ORDERS + "O-6,A-1,BTC,sell,0.5,100000000,2025-01-20 09:45\n")
    evidence = selectors.evidence_for(accounts.incident.pk, ["A-1"])["A-1"]["orders"]
    assert [row.order_ref for row in evidence] == ["O-1", "O-6", "O-5"]
