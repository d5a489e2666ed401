"""A first order log imported in a transaction of its own: on PostgreSQL it is loaded on more
connections (log_loading) and attached as the incident's partition. The same rows, refusals and
all-or-nothing as the one-transaction path; a load cut short leaves a table the next load drops."""

import io
import queue
import random

import pytest
from django.db import connection
from django.utils import translation

from compensation import services
from compensation.models import AffectedOrder
from compensation.services.imports import log_loading, log_partitions
from compensation.services.imports.logs import ORDERS as ORDERS_SPEC
from tests.compensation.proactive_world import ORDERS
from tests.compensation.test_order_log_storage import assert_first_order_recorded, with_accounts

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's partition path")


@pytest.fixture
def accounts(transactional_db, world, at):
    return with_accounts(world, at)


def import_orders(world, text, incident=None):
    assert not connection.in_atomic_block  # the import's own transaction: the loading path
    with translation.override("en"):
        return services.affected_orders_import(
            incident=incident or world.incident, actor=world.supervisor, stream=io.BytesIO(text.encode())
        )


def tables_like(pattern):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s ORDER BY 1", [pattern])
        return [name for (name,) in cursor.fetchall()]


def partition_rows_and_indexes(world):
    name = log_partitions.partition_name(ORDERS_SPEC, world.incident)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT count(*) FROM {name}")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [name])
        own = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [AffectedOrder._meta.db_table])
        return rows, own, cursor.fetchone()[0]


LOADS = r"compensation\_affectedorder\_load\_i%"


@postgres_only
def test_a_clean_first_log_is_loaded_on_more_connections_and_attached_with_its_indexes(accounts):
    result = import_orders(accounts, ORDERS)
    assert (result.read, result.added, result.unchanged, result.errors) == (5, 5, 0, [])
    rows, own_indexes, parent_indexes = partition_rows_and_indexes(accounts)
    assert rows == 5 and own_indexes == parent_indexes  # the indexes built beforehand were adopted
    assert_first_order_recorded(accounts)
    assert tables_like(LOADS) == []
    again = import_orders(accounts, ORDERS)
    assert (again.added, again.unchanged, again.errors) == (0, 5, [])


@postgres_only
@pytest.mark.parametrize(
    "line, number, words",
    [
        ("O-2,A-2,ETH,sell,1,5000000,2025-01-20 09:50", 7, "line 3"),  # the same order twice
        ("O-9,A-9,BTC,buy,1,1000,2025-01-20 10:00", 7, "Unknown exchange account"),
        ("O-9,A-1,BTC,hold,1,1000,2025-01-20 10:00", 7, "buy or sell"),
        ("O-9,A-1,BTC,buy,1,1000,2025-01-19 10:00", 7, "before the incident"),
    ],
)
def test_a_bad_first_log_is_named_by_line_and_nothing_of_the_load_stays(accounts, line, number, words):
    result = import_orders(accounts, ORDERS + line + "\n")
    assert result.errors and result.errors[0][0] == number and words in result.errors[0][1], result.errors
    assert result.added == 0 and not AffectedOrder.objects.exists()
    assert partition_rows_and_indexes(accounts) is None
    assert tables_like(LOADS) == []


@postgres_only
def test_records_with_quoted_line_breaks_are_dealt_whole_to_the_connections(accounts, monkeypatch):
    monkeypatch.setattr(log_partitions, "BLOCK", 5)  # a record end in almost every block, or none
    lines = ["order_id,account_id,asset,side,quantity,price_krw,attempted_at,error"]
    lines += [
        f'O-{n},A-{1 + n % 4},BTC,buy,1,{1000 + n},2025-01-20 10:00,"timeout\nat ""{n}"", retried"' for n in range(40)
    ]
    result = import_orders(accounts, "\n".join(lines) + "\n")
    assert (result.added, result.errors) == (40, [])
    assert partition_rows_and_indexes(accounts)[0] == 40
    order = AffectedOrder.objects.get(order_ref="O-17")
    assert (order.price_krw, order.error, order.account_id) == (1017, 'timeout\nat "17", retried', "A-2")


@postgres_only
def test_a_load_cut_short_leaves_a_table_the_next_first_load_drops(accounts, monkeypatch):
    other = accounts.incident.__class__.objects.create(
        **{
            f.name: getattr(accounts.incident, f.name)
            for f in accounts.incident._meta.concrete_fields
            if not f.primary_key
        }
    )
    busy = accounts.incident.__class__.objects.create(
        **{
            f.name: getattr(accounts.incident, f.name)
            for f in accounts.incident._meta.concrete_fields
            if not f.primary_key
        }
    )
    # The attach never comes (the process died): the loaded table stays behind, never part of the log.
    monkeypatch.setattr(log_loading, "_attach", _die)
    monkeypatch.setattr(log_loading, "_drop_quietly", lambda *args: None)  # it died before cleaning up
    with pytest.raises(SystemExit):
        import_orders(accounts, ORDERS, incident=other)
    monkeypatch.undo()
    left = log_loading.loading_name(ORDERS_SPEC, other)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {left}")
        assert cursor.fetchone()[0] == 5  # it is there, rows and all, but not in the log
        cursor.execute(f"CREATE TABLE {log_loading.loading_name(ORDERS_SPEC, busy)} (id int)")
    assert not AffectedOrder.objects.exists()
    side = log_loading._connect()
    try:
        side.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [AffectedOrder._meta.db_table, busy.pk])
        result = import_orders(accounts, ORDERS)  # another incident's first load cleans up
    finally:
        side.close()
    assert (result.added, result.errors) == (5, [])
    assert tables_like(LOADS) == [log_loading.loading_name(ORDERS_SPEC, busy)]  # its import may be running
    assert import_orders(accounts, ORDERS, incident=other).added == 5
    assert AffectedOrder.objects.filter(incident=other).count() == 5


def _another_incident(world):
    incident = world.incident
    fields = {f.name: getattr(incident, f.name) for f in incident._meta.concrete_fields if not f.primary_key}
    return type(incident).objects.create(**fields)


def _die(*args, **kwargs):
    raise SystemExit("killed")


@postgres_only
def test_without_more_connections_the_file_goes_through_the_staging_path(accounts, monkeypatch):
    from psycopg import OperationalError

    def refused():
        raise OperationalError("too many connections")

    monkeypatch.setattr(log_loading, "_connect", refused)
    result = import_orders(accounts, ORDERS)
    assert (result.read, result.added, result.errors) == (5, 5, [])
    assert partition_rows_and_indexes(accounts) is None  # the rows are in the DEFAULT partition
    assert sorted(AffectedOrder.objects.values_list("order_ref", flat=True)) == ["O-1", "O-2", "O-3", "O-4", "O-5"]


def _csv_with_quotes(rng, records):
    out = []
    for n in range(records):
        cell = rng.choice(["plain", '"a\nb"', '"x""y"', '"\n"', '"a,""\n"""', "z"])
        out.append(f"{n},{cell}\n".encode())
    return out


@pytest.mark.parametrize("seed", range(20))
def test_dealing_never_splits_a_record_between_connections(seed):
    rng = random.Random(seed)
    records = _csv_with_quotes(rng, 60)
    data = b"".join(records)
    size = rng.choice([1, 3, 7, 16, 64])
    blocks = [data[i : i + size] for i in range(0, len(data), size)]
    queues = [queue.Queue(), queue.Queue()]
    log_loading._deal(iter(blocks), queues, [])
    streams = []
    for q in queues:
        parts = []
        while not q.empty():
            parts.append(q.get())
        streams.append(b"".join(parts))
    got = [record for stream in streams for record in _records(stream)]
    assert sorted(got) == sorted(records)


def _records(stream):
    """Split a stream into records the way PostgreSQL does: a line end outside quotes ends one."""
    out, start, inside = [], 0, False
    for at, byte in enumerate(stream):
        if byte == ord('"'):
            inside = not inside
        elif byte == ord("\n") and not inside:
            out.append(stream[start : at + 1])
            start = at + 1
    assert start == len(stream), "a stream ends within a record"
    return out
