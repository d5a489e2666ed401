"""PostgreSQL, when the import has a transaction of its own: an incident's first order log is loaded
on three more connections, so that both cores work (the floor, one COPY, keeps one busy).

The steps of `log_partitions.load_new_incident`, spread out:

1. A loading table `<table>_load_i<incident>` is created and committed (shaped like the parent,
   with the defaults, the incident CHECK and the CHECK of every per-line rule); it is not part of
   the log, so nothing reads it.
2. The file is read once, as bytes, and dealt out in whole records to two `COPY … FROM STDIN` on
   two connections, which PostgreSQL runs on the two cores at once (both commit, or the load stops).
3. On three connections at once: the parent's indexes are built on the loading table (the same
   definitions, so attaching adopts them instead of building them; the unique one fails on the
   same order twice in the file) and the anti-join looks for accounts nobody imported.
4. In the import's own transaction: the log's table is locked, the incident is checked again to
   have no orders, the loading table is renamed to the incident's partition and attached (its
   incident CHECK spares the scan). The import commits with it: until then nobody sees a row.

Any problem, and the loading table is dropped and the file goes through the staging path in the
import's transaction as before, which names every bad line: all or nothing, as seen from the app.
A crash between 1 and 4 leaves a loading table and nothing else (it never became part of the log);
the next first load of any incident drops every such table whose incident nobody is importing.
"""

import queue
import re
import threading

from django.db import DatabaseError, connection, transaction

from compensation.services.imports import log_partitions as parts

QUEUE = 8  # blocks waiting per COPY connection: memory stays a few blocks whatever the file's size
_ABORT = object()
_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ (USING .*)$")


def loading_name(spec, incident):
    return f"{spec.model._meta.db_table}_load_i{int(incident.pk)}"


def load_new_incident(cursor, *, spec, incident, actor, columns, body, window, now, result):
    """True when the file is in as the incident's new partition; False (nothing kept) otherwise."""
    table = spec.model._meta.db_table
    part, load = parts.partition_name(spec, incident), loading_name(spec, incident)
    sides, attached = [], False
    try:
        sides = [_connect() for _ in range(3)]
        # Read on another connection: the import's transaction takes no lock on the log's tables
        # before the attach (another incident's attach, waiting for it, would deadlock with ours).
        if _has_orders(sides[0], table, part, incident):
            return False  # the incident has orders: the staging path adds to them
        _drop_leftovers(cursor, sides[0], spec, incident)
        defaults = parts.prepare_table(sides[0].execute, spec, incident, actor, columns, window, now, load)
        copied = _copy_dealt(sides[:2], parts.copy_sql(load, columns), body)
        if not copied:
            raise parts.NotHere
        sides[0].execute(f"{parts.drop_defaults_sql(load, defaults)}, DROP CONSTRAINT {load}_import")
        _build_and_check(sides, _index_statements(sides[0], table, load, part), load)
        with transaction.atomic():
            _attach(cursor, table, load, part, incident)
        attached = True
    except (parts.NotHere, DatabaseError, parts.psycopg_error(), ValueError):
        return False
    finally:
        if not attached and sides:
            _drop_quietly(sides, load)
        for side in sides:
            side.close()
    result.read = result.added = copied
    return True


def _connect():
    """One more connection to the same database, in autocommit (each statement commits)."""
    # psycopg is imported only on PostgreSQL: SQLite installs (make run) need not load it.
    from psycopg import connect

    side = connect(**connection.get_connection_params(), autocommit=True)
    side.execute("SET TimeZone = 'Asia/Seoul'")  # times without an offset are KST
    # The loading table is scratch until the import's own transaction attaches it, and that commit
    # comes after these in the WAL: a crash loses the load only together with the attach.
    side.execute("SET synchronous_commit = off")
    side.execute("SET maintenance_work_mem = '256MB'")  # each index sorts in memory
    side.execute("SET work_mem = '64MB'")  # the anti-join's hash of the known accounts
    # The connections share the cores already: no parallel workers on top.
    side.execute("SET max_parallel_maintenance_workers = 0")
    side.execute("SET max_parallel_workers_per_gather = 0")
    return side


def _has_orders(side, table, part, incident):
    return side.execute(
        f"SELECT to_regclass(%s) IS NOT NULL OR EXISTS (SELECT 1 FROM {table}_default WHERE incident_id = %s)",
        [part, incident.pk],
    ).fetchone()[0]


def _drop_leftovers(cursor, side, spec, incident):
    """Loading tables of loads cut short (a crash): this incident's, and any other incident's that
    nobody is importing now (its import lock is free)."""
    table = spec.model._meta.db_table
    side.execute(f"DROP TABLE IF EXISTS {loading_name(spec, incident)}")
    found = side.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s",
        [table.replace("_", r"\_") + r"\_load\_i%"],
    ).fetchall()
    for (name,) in found:
        other = name.rsplit("_i", 1)[1]
        if not other.isdigit():
            continue  # not one of ours
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [table, int(other)])
        if cursor.fetchone()[0]:
            try:
                side.execute(f"DROP TABLE IF EXISTS {name}")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", [table, int(other)])


def _copy_dealt(sides, sql, body):
    """The file's records dealt out to one COPY per connection; the rows copied (all committed)."""
    queues = [queue.Queue(maxsize=QUEUE) for _ in sides]
    counts, errors = [0] * len(sides), []
    threads = [
        threading.Thread(target=_copy_worker, args=(side, sql, q, counts, n, errors), daemon=True)
        for n, (side, q) in enumerate(zip(sides, queues, strict=True))
    ]
    for thread in threads:
        thread.start()
    end = _ABORT
    try:
        _deal(parts.blocks(body), queues, errors)
        end = None
    finally:
        for q in queues:
            q.put(end)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return sum(counts)


class _Aborted(Exception):
    """The reader stopped: the COPY is cancelled (nothing of it commits)."""


def _copy_worker(side, sql, blocks, counts, n, errors):
    ended = False
    try:
        with side.transaction(), side.cursor() as cursor:
            with cursor.copy(sql) as copy:
                while (block := blocks.get()) is not None:
                    if block is _ABORT:
                        ended = True
                        raise _Aborted
                    copy.write(block)
                ended = True
            counts[n] = cursor.rowcount
    except Exception as error:  # handed to the reader's thread, which raises it
        errors.append(error)
        while not ended:
            ended = blocks.get() in (None, _ABORT)  # the reader never waits on a queue nobody empties


def _deal(blocks, queues, errors):
    """Each block to the current connection up to its last record end, the rest to the next one:
    every connection gets whole CSV records (a quoted line break never ends one)."""
    turn, inside = 0, False
    for block in blocks:
        if errors:
            raise parts.NotHere
        cut = _record_end(block, inside)
        inside ^= block.count(b'"') % 2 == 1
        if not cut:
            queues[turn].put(block)
            continue
        queues[turn].put(block[:cut])
        turn = (turn + 1) % len(queues)
        if cut < len(block):
            queues[turn].put(block[cut:])


def _record_end(block, inside):
    """The offset just after the block's last line end outside quotes, 0 when none is found.

    `inside`: whether the block starts within a quoted cell. Quotes toggle it wherever they stand,
    as in PostgreSQL's own CSV line reader; a doubled quote toggles twice.
    """
    quotes, end = block.count(b'"'), len(block)
    for _tries in range(16):
        at = block.rfind(b"\n", 0, end)
        if at < 0:
            return 0
        if not quotes:
            return 0 if inside else at + 1
        if (block.count(b'"', 0, at) % 2 == 1) == inside:
            return at + 1
        end = at
    return 0  # the block stays with this connection; a later one will have a record end


def _index_statements(side, table, load, part):
    """The parent's index definitions, on the loading table (attaching adopts an equal index)."""
    found = side.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass ORDER BY indexrelid",
        [table],
    ).fetchall()
    statements = []
    for n, (definition,) in enumerate(found):
        unique, rest = _INDEX.match(definition).groups()
        statements.append(f"CREATE {unique or ''}INDEX {part}_{n} ON {load} {rest}")
    # The costliest first (a text key in file order is cheap, a random one is not): unique keys
    # (the order id, the id) come in file order, partial ones cover few rows.
    return sorted(statements, key=lambda sql: (" WHERE " in sql, "UNIQUE" in sql))


def _build_and_check(sides, statements, load):
    """Index builds and the unknown-account check, shared out among the connections."""
    unknown = parts.unknown_accounts_sql(load)
    jobs = queue.SimpleQueue()
    for sql in [statements[0], unknown, *statements[1:]]:
        jobs.put(sql)
    errors, found = [], []

    def work(side):
        while not errors:
            try:
                sql = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                answer = side.execute(sql)
                if sql is unknown and answer.fetchone()[0]:
                    found.append(True)
            except Exception as error:  # handed to the caller's thread
                errors.append(error)

    threads = [threading.Thread(target=work, args=(side,), daemon=True) for side in sides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    if found:
        raise parts.NotHere


def _attach(cursor, table, load, part, incident):
    # Attaching takes this lock anyway; taking it first keeps two first loads of the log from
    # deadlocking on the DEFAULT partition. Reads and other imports go on.
    cursor.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
    cursor.execute(
        f"SELECT to_regclass(%s) IS NOT NULL OR EXISTS (SELECT 1 FROM {table}_default WHERE incident_id = %s)",
        [part, incident.pk],
    )
    if cursor.fetchone()[0]:
        raise parts.NotHere
    cursor.execute(f"ALTER TABLE {load} RENAME TO {part}")
    cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES IN ({int(incident.pk)})")
    cursor.execute(f"ALTER TABLE {part} DROP CONSTRAINT {load}_incident")


def _drop_quietly(sides, load):
    for side in sides:
        try:
            side.execute(f"DROP TABLE IF EXISTS {load}")
            return
        except Exception:  # noqa: S112 - a broken connection: the next one drops it
            continue
