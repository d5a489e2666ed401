"""PostgreSQL: an incident's first order log goes into a table of its own, indexed once after the load.

The order table is partitioned by incident (migration 0029). When an incident has no orders yet,
the file is copied (`COPY … FROM STDIN`, streamed) straight into a new table shaped like the parent,
whose column defaults give the incident, the importer and the time, and whose temporary CHECK
constraint holds every per-line rule of `logs` for a line already in normal form (refs trimmed,
assets upper case, sides lower case, amounts above 0, times within the incident, an account or an
address). One set-based anti-join finds accounts nobody imported. Then the table is attached as
the incident's partition: PostgreSQL builds its indexes from the loaded rows in one sorted pass
each, the unique one included, so the same order twice in the file fails the attach.

Nothing of it is kept on any problem (a savepoint): the caller then reads the file again through
the staging path, which names every bad line, normalises what needs it and adds the rows (into the
DEFAULT partition). So this path decides nothing the staging path would decide otherwise; it only
skips the staging copy and the row-by-row index maintenance for the common case, a clean file for
a new incident. Everything stays in the import's one transaction: all or nothing.
"""

import re

from django.db import DatabaseError, transaction

from compensation.models import ExchangeAccount

# numeric(38,18) rounds more decimals away on input; the staging path refuses them instead, so a
# file holding a run of 19 digits after a dot (anywhere: it is a cheap, conservative test) goes there.
_LONG_DECIMALS = re.compile(rb"\.\d{19}")
# COPY ends its input at a line holding only \. (the staging path names that line).
_END_OF_DATA = re.compile(rb"[\r\n]\\\.[\r\n]")
_END_OF_DATA_LAST = re.compile(rb"[\r\n]\\\.\Z")
_FIRST_LINE_END = re.compile(rb"\r\n|\r|\n")
BLOCK = 1 << 16  # bytes read and sent at a time
HEADER_MAX = 1 << 16  # a header line longer than this goes the staging path


class NotHere(Exception):
    """The file needs the staging path (a problem to name, or values to normalise)."""


def body(raw):
    """The binary file from its second line on, or None when it has no line end near the start.

    The file goes to COPY as bytes: PostgreSQL checks the UTF-8 itself, and Python neither decodes
    nor encodes it again. The header line ends where the text reader ends it (\\r\\n, \\r or \\n).
    """
    raw.seek(0)
    found = _FIRST_LINE_END.search(raw.read(HEADER_MAX))
    if found is None:
        return None
    raw.seek(found.end())  # the match's offset counts the BOM, if any, so it is the byte offset
    return raw


def blocks(raw):
    """The body in BLOCK pieces; NotHere for what COPY would read otherwise than the staging path."""
    carry = b"\n"  # the body starts a line
    while block := raw.read(BLOCK):
        window = carry + block
        if (b"\\" in window and _END_OF_DATA.search(window)) or _LONG_DECIMALS.search(window):
            raise NotHere
        carry = window[-20:]
        yield block
    if _END_OF_DATA_LAST.search(carry):
        raise NotHere


def partition_name(spec, incident):
    return f"{spec.model._meta.db_table}_i{incident.pk}"


def load_new_incident(cursor, *, spec, incident, actor, columns, body, window, now, result):
    """True when the file is in as the incident's new partition; False (nothing kept) otherwise."""
    table = spec.model._meta.db_table
    part = partition_name(spec, incident)
    # Serialises first loads of this log (attaching takes this lock anyway; taking it first keeps two
    # of them from deadlocking on the DEFAULT partition). Reads and other imports go on.
    cursor.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
    cursor.execute(
        f"SELECT to_regclass(%s) IS NOT NULL OR EXISTS (SELECT 1 FROM {table}_default WHERE incident_id = %s)",
        [part, incident.pk],
    )
    if cursor.fetchone()[0]:
        return False  # the incident has orders: the staging path adds to them
    try:
        with transaction.atomic():
            copied = _copy_into_new_table(cursor, spec, incident, actor, columns, body, window, now, part)
            if not copied or unknown_accounts(cursor, part):
                raise NotHere
            cursor.execute(f"ALTER TABLE {part} DROP CONSTRAINT {part}_import")
            cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES IN ({int(incident.pk)})")
            cursor.execute(f"ALTER TABLE {part} DROP CONSTRAINT {part}_incident")
    except (NotHere, DatabaseError, psycopg_error(), UnicodeDecodeError, ValueError):
        # ValueError: the end-of-data line (logs._EndOfDataLine is one) and anything else the
        # reader refuses; the staging path reports it.
        return False
    result.read = result.added = copied
    return True


def psycopg_error():
    # psycopg is imported only on PostgreSQL: SQLite installs (make run) need not load it.
    from psycopg import Error

    return Error


def _copy_into_new_table(cursor, spec, incident, actor, columns, body, window, now, part):
    defaults = prepare_table(cursor.execute, spec, incident, actor, columns, window, now, part)
    cursor.execute("SET LOCAL TimeZone = 'Asia/Seoul'")  # times without an offset are KST
    try:
        with cursor.cursor.copy(copy_sql(part, columns)) as copy:
            for block in blocks(body):
                copy.write(block)
        copied = cursor.cursor.rowcount  # before the next statement resets it
    finally:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
    cursor.execute(drop_defaults_sql(part, defaults))
    return copied


def prepare_table(run, spec, incident, actor, columns, window, now, name):
    """A new empty table `name` shaped like the log's table, whose defaults fill the columns the file
    leaves out and whose CHECKs hold the incident and every per-line rule; returns the defaults."""
    table = spec.model._meta.db_table
    run(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    present = {c.field for c in columns}
    defaults = {"incident_id": int(incident.pk), "imported_by_id": int(actor.pk), "imported_at": now}
    defaults.update({c.field: "" for c in spec.columns if c.field not in present})
    run(
        f"ALTER TABLE {name} " + ", ".join(f"ALTER {column} SET DEFAULT %s" for column in defaults),
        list(defaults.values()),
    )
    run(f"ALTER TABLE {name} ADD CONSTRAINT {name}_incident CHECK (incident_id = {int(incident.pk)})")
    rules, params = _rules(spec, columns, window)
    run(f"ALTER TABLE {name} ADD CONSTRAINT {name}_import CHECK ({' AND '.join(rules)})", params)
    return defaults


def copy_sql(name, columns):
    names = ", ".join(c.field for c in columns)
    # An empty optional cell is '' (as the staging path reads it), not NULL.
    optional = [c.field for c in columns if not c.required]
    keep_empty = f", FORCE_NOT_NULL ({', '.join(optional)})" if optional else ""
    return f"COPY {name} ({names}) FROM STDIN WITH (FORMAT csv{keep_empty})"


def drop_defaults_sql(name, defaults):
    return f"ALTER TABLE {name} " + ", ".join(f"ALTER {column} DROP DEFAULT" for column in defaults)


def _rules(spec, columns, window):
    """SQL conditions every line in normal form meets: the per-line rules of `logs`, as one CHECK."""
    rules, params = [], []
    for col in columns:
        f = col.field
        trimmed = f"{f} NOT LIKE ' %%' AND {f} NOT LIKE '%% '"  # = btrim(f), without building a string
        rule = {
            "ref": f"{f} <> '' AND {trimmed}",
            "account": f"{f} <> '' AND {trimmed}",  # when the column is there, every line names one
            "email": f"{f} = '' OR ({f} = lower(btrim({f})) AND {f} ~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')",
            # ASCII only, so upper() in "C" (byte by byte, cheap) is upper() in the database's collation.
            "asset": f"{f} <> '' AND {trimmed} AND octet_length({f}) = char_length({f}) "
            f'AND {f} = upper({f} COLLATE "C")',
            "side": f"{f} IN ('buy', 'sell')",
            "direction": f"{f} IN ('deposit', 'withdrawal')",
            "quantity": f"{f} > 0 AND {f} < 1e20",  # NaN compares above every number
            "krw": f"{f} > 0",
            "moment": f"isfinite({f})",
        }.get(col.kind)
        if rule:
            rules.append(f"({rule})")
    start, end = window
    for name in spec.in_window:
        rules.append(f"({name} BETWEEN %s AND %s)")
        params += [start, end]
    for later, earlier in spec.not_before:
        rules.append(f"({later} >= {earlier})")
    if spec.name == "orders":
        rules.append("(account_id <> '' OR email <> '')")
    return rules, params


def unknown_accounts_sql(table):
    """How many lines of `table` name an account nobody imported: one hash anti-join over the whole file
    (counting them all is cheaper here than stopping at one; NOT EXISTS measured faster than a LEFT JOIN)."""
    accounts = ExchangeAccount._meta.db_table
    return (
        f"SELECT count(*) FROM {table} s WHERE s.account_id <> '' "
        f"AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.account_id = s.account_id)"
    )


def unknown_accounts(cursor, part):
    """Whether a line names an account nobody imported."""
    cursor.execute(unknown_accounts_sql(part))
    return cursor.fetchone()[0] > 0
