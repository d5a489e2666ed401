"""The exchange's own records, imported streamed, all or nothing per file, never changed once recorded.

One machinery for every log (accounts, failed orders, delayed deposits and withdrawals, failed
logins): the file is read in chunks, never whole, into a temporary staging table; every check is a
set-based statement over that table; then one INSERT … SELECT adds the new rows. The statement
count does not grow with the file, and neither does the memory.

- PostgreSQL: the raw text goes in with `COPY … FROM STDIN` (psycopg 3 `cursor.copy`); the checks
  are regular expressions and casts in SQL, so Python never touches a row.
- SQLite (`make run`): Python parses each row (the same rules, the same messages) and inserts the
  normalised values into the staging table in batches; the checks after that are the same SQL.

A line with a problem is reported with its number; any problem and nothing is recorded. A row
already recorded with the same details counts as unchanged; with other details it is refused.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import AffectedOrder, DelayedTransfer, ExchangeAccount, FailedLogin
from compensation.services.imports import log_loading, log_partitions
from incidents import calendar
from incidents.errors import DomainError, ErrorCode

MAX_REPORTED = 200  # lines with problems listed back; the count covers them all
COPY_CHUNK = 1 << 16
SQLITE_BATCH = 2000
STAGING = "import_staging"


@dataclass(frozen=True)
class Col:
    name: str  # the CSV header
    kind: str  # account, ref, email, asset, side, direction, quantity, krw, moment, text
    field: str  # the model field it fills
    required: bool = True


@dataclass(frozen=True)
class LogSpec:
    name: str
    model: type
    columns: tuple
    key: tuple  # model fields naming one record (within the incident when per_incident)
    per_incident: bool = True
    in_window: tuple = ()  # moment fields that must fall within the incident
    not_before: tuple = ()  # (later field, earlier field): the later may not precede the earlier
    needs_account: bool = True  # account_id must name an imported exchange account
    partitioned: bool = False  # PostgreSQL: the table is partitioned by incident (see log_partitions)
    duplicate_message: str = ""

    @property
    def fields(self):
        return [c.field for c in self.columns]


ACCOUNTS = LogSpec(
    name="accounts",
    model=ExchangeAccount,
    columns=(Col("account_id", "ref", "account_id"), Col("email", "email", "email", required=False)),
    key=("account_id",),
    per_incident=False,
    needs_account=False,
)
ORDERS = LogSpec(
    name="orders",
    model=AffectedOrder,
    columns=(
        Col("order_id", "ref", "order_ref"),
        Col("account_id", "account", "account_id", required=False),
        Col("email", "email", "email", required=False),
        Col("asset", "asset", "asset"),
        Col("side", "side", "side"),
        Col("quantity", "quantity", "quantity"),
        Col("price_krw", "krw", "price_krw"),
        Col("attempted_at", "moment", "attempted_at"),
        Col("error", "text", "error", required=False),
    ),
    key=("order_ref",),
    in_window=("attempted_at",),
    partitioned=True,
)
TRANSFERS = LogSpec(
    name="transfers",
    model=DelayedTransfer,
    columns=(
        Col("account_id", "account", "account_id"),
        Col("direction", "direction", "direction"),
        Col("asset", "asset", "asset"),
        Col("amount", "quantity", "amount"),
        Col("requested_at", "moment", "requested_at"),
        Col("completed_at", "moment", "completed_at"),
    ),
    key=("account_id", "direction", "asset", "requested_at"),
    in_window=("requested_at",),
    not_before=(("completed_at", "requested_at"),),
)
LOGINS = LogSpec(
    name="logins",
    model=FailedLogin,
    columns=(Col("account_id", "account", "account_id"), Col("attempted_at", "moment", "attempted_at")),
    key=("account_id", "attempted_at"),
    in_window=("attempted_at",),
)


@dataclass
class LogImportResult:
    read: int = 0
    added: int = 0
    unchanged: int = 0
    refused: int = 0  # lines with a problem (all of them, even beyond the ones listed)
    errors: list = field(default_factory=list)  # (line number, message), the first MAX_REPORTED

    @property
    def accepted(self):
        return self.added + self.unchanged


class _Refused(Exception):
    """Leaves the import's transaction so that nothing of the file stays."""


# --- messages (one table for both databases) -------------------------------------------------
def _message(code, column, value):
    names = {"column": column, "value": (value or "")[:80]}
    return {
        "ref": _("%(column)s must be 1 to 64 characters."),
        "account": _("%(column)s must be the exchange account id (1 to 64 characters)."),
        "unknown_account": _("Unknown exchange account “%(value)s”: import the account list first."),
        "email": _("email “%(value)s” is not an email address."),
        "asset": _("asset must be a ticker of 1 to 20 characters, e.g. BTC."),
        "side": _("side must be buy or sell."),
        "direction": _("direction must be deposit or withdrawal."),
        "negative": _("%(column)s must not be negative (“%(value)s”)."),
        "quantity": _("%(column)s must be more than 0, with at most 18 decimal places."),
        "krw": _("%(column)s must be a whole number of KRW more than 0."),
        "moment": _("%(column)s must be a date and time such as 2025-01-20 11:05 (KST)."),
        "before_incident": _("%(column)s %(value)s is before the incident started."),
        "after_incident": _("%(column)s %(value)s is after the incident ended."),
        "order": _("%(column)s is before the time it follows on the same line."),
        "who": _("Give account_id or email."),
    }[code] % names


# --- Python parsing (SQLite path) --------------------------------------------------------------
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
QUANTITY_RE = re.compile(r"^\d{1,20}(\.\d{1,18})?$")
KRW_RE = re.compile(r"^\d{1,18}$")


class _CellError(ValueError):
    def __init__(self, code, column, value):
        super().__init__(code)
        self.code, self.column, self.value = code, column, value


def _parse_cell(col, raw):
    value = (raw or "").strip()
    if col.kind in ("ref", "account"):
        if not 1 <= len(value) <= 64:
            raise _CellError(col.kind, col.name, value)
        return value
    if col.kind == "email":
        value = value.lower()
        if value and (len(value) > 254 or not EMAIL_RE.match(value)):
            raise _CellError("email", col.name, value)
        return value
    if col.kind == "asset":
        if not 1 <= len(value) <= 20:
            raise _CellError("asset", col.name, value)
        return value.upper()
    if col.kind in ("side", "direction"):
        value = value.lower()
        allowed = ("buy", "sell") if col.kind == "side" else ("deposit", "withdrawal")
        if value not in allowed:
            raise _CellError(col.kind, col.name, value)
        return value
    if col.kind in ("quantity", "krw"):
        plain = value.replace(",", "")
        if plain.startswith("-"):
            raise _CellError("negative", col.name, value)
        if not (QUANTITY_RE if col.kind == "quantity" else KRW_RE).match(plain):
            raise _CellError(col.kind, col.name, value)
        number = Decimal(plain) if col.kind == "quantity" else int(plain)
        if number <= 0:
            raise _CellError(col.kind, col.name, value)
        return str(number) if col.kind == "quantity" else number
    if col.kind == "moment":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _CellError("moment", col.name, value) from None
        if not value or len(value) < 16:
            raise _CellError("moment", col.name, value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=calendar.KST)
        return moment
    return value[:200]


# --- SQL for PostgreSQL ----------------------------------------------------------------------
MOMENT_RE = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
    r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?$"
)


PG_TYPES = {"quantity": "numeric", "krw": "bigint", "moment": "timestamptz"}


def _pg_typed_value(col):
    """The model field's value from a typed staging column (the fast path: COPY parsed the types)."""
    if col.kind in PG_TYPES:
        return f"s.{col.name}"
    return _pg_value(col)


def _pg_typed_problems(col):
    """[(SQL condition true when the typed cell is wrong, code)] for the fast path, checked in order."""
    c = f"s.{col.name}"
    if col.kind == "quantity":
        return [
            (f"{c} IS NULL", "quantity"),
            (f"{c} < 0", "negative"),
            (f"{c} = 0 OR scale({c}) > 18 OR {c} >= 1e20", "quantity"),
        ]
    if col.kind == "krw":
        return [(f"{c} IS NULL", "krw"), (f"{c} < 0", "negative"), (f"{c} = 0", "krw")]
    if col.kind == "moment":
        return [(f"{c} IS NULL OR NOT isfinite({c})", "moment")]
    return _pg_problems(col)


def _pg_value(col):
    """SQL turning the staged text of `col` into the model field's value (run only after the checks)."""
    c = f"btrim(s.{col.name})"
    return {
        "ref": c,
        "account": f"coalesce({c}, '')",
        "email": f"lower(coalesce({c}, ''))",
        "asset": f"upper({c})",
        "side": f"lower({c})",
        "direction": f"lower({c})",
        "quantity": f"replace({c}, ',', '')::numeric",
        "krw": f"replace({c}, ',', '')::bigint",
        "moment": (
            f"(CASE WHEN {c} ~ '(Z|[+-]\\d\\d(:?\\d\\d)?)$' THEN {c}::timestamptz "
            f"ELSE {c}::timestamp AT TIME ZONE 'Asia/Seoul' END)"
        ),
        "text": f"left(coalesce(s.{col.name}, ''), 200)",
    }[col.kind]


def _pg_problems(col):
    """[(SQL condition true when the cell is wrong, code)], checked in order."""
    c = f"btrim(s.{col.name})"
    plain = f"replace({c}, ',', '')"
    if col.kind in ("ref", "account"):
        return [(f"coalesce(length({c}), 0) NOT BETWEEN 1 AND 64", col.kind)]
    if col.kind == "email":
        return [
            (f"coalesce({c}, '') <> '' AND ({c} !~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' OR length({c}) > 254)", "email")
        ]
    if col.kind == "asset":
        return [(f"coalesce(length({c}), 0) NOT BETWEEN 1 AND 20", "asset")]
    if col.kind == "side":
        return [(f"lower(coalesce({c}, '')) NOT IN ('buy', 'sell')", "side")]
    if col.kind == "direction":
        return [(f"lower(coalesce({c}, '')) NOT IN ('deposit', 'withdrawal')", "direction")]
    if col.kind in ("quantity", "krw"):
        pattern = QUANTITY_RE.pattern if col.kind == "quantity" else KRW_RE.pattern
        return [
            (f"{plain} LIKE '-%%'", "negative"),
            (f"coalesce({plain}, '') !~ '{pattern}'", col.kind),
            (f"{plain}::numeric <= 0", col.kind),
        ]
    if col.kind == "moment":
        return [
            (f"coalesce({c}, '') !~ '{MOMENT_RE}'", "moment"),
            (
                f"to_char((substr({c}, 1, 7) || '-01')::date + (substr({c}, 9, 2)::int - 1), 'YYYY-MM-DD')"
                f" <> substr({c}, 1, 10)",
                "moment",
            ),
        ]
    return []


# --- the import ------------------------------------------------------------------------------
def _header(text):
    first = text.readline()
    if not first.strip():
        return None
    return [name.strip().lower() for name in next(csv.reader([first]))]


def log_import(*, spec, actor, stream, incident=None):
    """Import one file of `spec` from a binary or text stream; returns a LogImportResult."""
    if spec.per_incident and incident is None:
        raise TypeError("this log is imported per incident")
    text = stream if isinstance(stream, io.TextIOBase) else io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    result = LogImportResult()
    reopen = None  # before anything can raise: the cleanup below reads it
    try:
        try:
            header = _header(text)
        except UnicodeDecodeError:
            raise DomainError(_("The file must be UTF-8 text (CSV)."), code=ErrorCode.CSV_INVALID) from None
        if header is None:
            result.errors.append((1, _("The file is empty.")))
            result.refused = 1
            return result
        known = {c.name: c for c in spec.columns}
        unknown = [name for name in header if name not in known]
        missing = [c.name for c in spec.columns if c.required and c.name not in header]
        if missing or unknown or len(set(header)) != len(header):
            problem = (
                _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}
                if missing
                else _("Unknown or repeated columns: %(cols)s") % {"cols": ", ".join(unknown) or ", ".join(header)}
            )
            result.errors.append((1, problem))
            result.refused = 1
            return result
        columns = [known[name] for name in header]
        reopen = _reopener(stream, text)
        # A transaction of its own (no caller's around it): a first order log may load on more
        # connections (log_loading), which see only what is committed.
        alone = not connection.in_atomic_block
        try:
            with transaction.atomic():
                _run(spec, incident, actor, text, columns, result, reopen=reopen, alone=alone)
                if result.errors:
                    raise _Refused
        except _Refused:
            result.added = result.unchanged = 0
    finally:
        # Hand the caller's binary stream back open: detach every wrapper put around it.
        for wrapper in [text, *(reopen.opened if reopen else [])]:
            if isinstance(wrapper, io.TextIOWrapper) and wrapper is not stream:
                try:
                    wrapper.detach()
                except ValueError:
                    pass  # already detached by the reopen
    return result


def _pg_stage(cursor, text, columns, *, typed, result=None):
    types = {c.name: PG_TYPES.get(c.kind, "text") if typed else "text" for c in columns}
    names = ", ".join(f"{c.name} {types[c.name]}" for c in columns)
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGING} (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), {names}) ON COMMIT DROP"
    )
    if typed:
        cursor.execute("SET LOCAL TimeZone = 'Asia/Seoul'")
    try:
        return _pg_copy(cursor, text, columns, result if not typed else LogImportResult())
    finally:
        if typed:
            cursor.execute("SET LOCAL TimeZone = 'UTC'")


def _reopener(stream, text):
    """A function giving the file again from its second line, or None when it cannot be read twice."""
    raw = stream if not isinstance(stream, io.TextIOBase) else None
    if raw is None or not getattr(raw, "seekable", lambda: False)():
        return None

    def reopen():
        current = reopened[-1] if reopened else text
        if isinstance(current, io.TextIOWrapper):
            try:
                current.detach()
            except ValueError:
                pass  # detached already
        raw.seek(0)
        again = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        again.readline()
        reopened.append(again)
        return again

    reopened = []
    reopen.opened = reopened
    reopen.raw = raw  # the partition path reads the bytes itself (log_partitions.body)
    return reopen


def _run(spec, incident, actor, text, columns, result, reopen=None, alone=False):
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            _pg_settings(cursor)
            if spec.per_incident:
                _pg_lock_incident(cursor, spec, incident)
            if spec.partitioned and reopen is not None:
                if _pg_new_partition(cursor, spec, incident, actor, columns, reopen.raw, result, alone=alone):
                    return
                text = reopen()
            # Fast path: COPY parses numbers and times itself (times without an offset in KST). A
            # file it cannot parse goes again through the text path, which names every bad line.
            copied = _pg_stage(cursor, text, columns, typed=True)
            typed = copied is not None
            if not typed:
                text = reopen() if reopen is not None else None
                copied = None if text is None else _pg_stage(cursor, text, columns, typed=False, result=result)
                if copied is None:
                    return
            result.read = copied
            values = _with_empty(spec, {c.field: (_pg_typed_value if typed else _pg_value)(c) for c in columns})
            if typed and copied and _pg_add_if_clean(cursor, spec, incident, actor, columns, values, result):
                cursor.execute(f"DROP TABLE pg_temp.{STAGING}")
                return
            if result.read:
                _pg_check_cells(cursor, spec, incident, columns, values, result, typed=typed)
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGING}")
            names = ", ".join(f"{c.name}" for c in columns)
            cursor.execute(f"CREATE TEMP TABLE {STAGING} (line integer PRIMARY KEY, {names})")
            _sqlite_stage(cursor, spec, incident, columns, text, result)
            values = {c.field: f"s.{c.name}" for c in columns}
        if not result.read and not result.errors:
            result.errors.append((1, _("The file has no rows.")))
            result.refused = 1
            return
        values = _with_empty(spec, values)
        if not result.errors or not postgres or _cast_free(spec):
            _check_duplicates(cursor, spec, values, result)
        if result.errors:
            return
        _check_recorded(cursor, spec, incident, values, result)
        if result.errors:
            return
        result.added = _insert(cursor, spec, incident, actor, values)
        cursor.execute(f"DROP TABLE {'pg_temp' if postgres else 'temp'}.{STAGING}")


# COPY ends its input at a line holding only \. (the end-of-data marker): the lines after it
# were silently dropped and the import reported success. Such a line is refused instead.
_END_OF_DATA_FIRST = re.compile(r"(?:\A|[\r\n])\\\.(?:[\r\n]|\Z)")
_END_OF_DATA = re.compile(r"[\r\n]\\\.(?:[\r\n]|\Z)")


class _EndOfDataLine(ValueError):
    def __init__(self, line):
        super().__init__(line)
        self.line = line


def _copy_chunks(text):
    """The file in COPY_CHUNK pieces; _EndOfDataLine (with its line number) at a line holding only \\.."""
    carry, breaks, first = "", 0, True
    while chunk := text.read(COPY_CHUNK):
        window = carry + chunk
        found = (_END_OF_DATA_FIRST if first else _END_OF_DATA).search(window)
        if found:
            before = window[len(carry) : found.start() + 1]  # the carry's breaks are counted already
            raise _EndOfDataLine(2 + breaks + (before.count("\n") or before.count("\r")))
        breaks += chunk.count("\n") or chunk.count("\r")
        carry, first = window[-3:], False
        yield chunk


def _pg_copy(cursor, text, columns, result):
    # psycopg is imported only on PostgreSQL: SQLite installs (make run) need not load it.
    from psycopg import errors as pg_errors

    names = ", ".join(c.name for c in columns)
    try:
        with transaction.atomic():
            with cursor.cursor.copy(f"COPY {STAGING} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                for chunk in _copy_chunks(text):
                    copy.write(chunk)
    except _EndOfDataLine as marker:
        result.errors.append((marker.line, _("A line holding only \\. cannot be imported; remove it.")))
        result.refused = 1
        return None
    except UnicodeDecodeError:
        raise DomainError(_("The file must be UTF-8 text (CSV)."), code=ErrorCode.CSV_INVALID) from None
    except (pg_errors.DataError, pg_errors.BadCopyFileFormat) as error:
        context = getattr(error.diag, "context", "") or ""
        found = re.search(r"line (\d+)", context)
        line = int(found.group(1)) + 1 if found else 1
        result.errors.append(
            (
                line,
                _("The line is not CSV with the header's columns: %(detail)s")
                % {"detail": (error.diag.message_primary or str(error))[:200]},
            )
        )
        result.refused = 1
        return None
    return cursor.cursor.rowcount


def _window(incident):
    end = incident.ended_at or timezone.now()
    return incident.started_at, end


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _pg_problem(spec, incident, columns, values, *, typed):
    """(CASE giving the first problem of a staged line or NULL, the join it needs, its parameters)."""
    whens, params = [], []
    has = {c.field for c in columns}
    for col in columns:
        for condition, code in (_pg_typed_problems if typed else _pg_problems)(col):
            whens.append(f"WHEN {condition} THEN '{code}:{col.name}:' || coalesce(s.{col.name}::text, '')")
    if spec.name == "orders":
        account = "coalesce(btrim(s.account_id), '')" if "account_id" in has else "''"
        email = "coalesce(btrim(s.email), '')" if "email" in has else "''"
        whens.append(f"WHEN {account} = '' AND {email} = '' THEN 'who::'")
    join = ""
    if spec.needs_account and "account_id" in has:
        # account_id is unique: the join never repeats a line (a hash join against the known accounts).
        table = ExchangeAccount._meta.db_table
        join = f"LEFT JOIN {table} a ON a.account_id = btrim(s.account_id)"
        whens.append(
            "WHEN btrim(s.account_id) <> '' AND a.id IS NULL THEN 'unknown_account:account_id:' || btrim(s.account_id)"
        )
    start, end = _window(incident) if incident is not None else (None, None)
    for name in spec.in_window:
        shown = f"to_char({values[name]} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI:SS')"
        whens.append(f"WHEN {values[name]} < %s THEN 'before_incident:{name}:' || {shown}")
        whens.append(f"WHEN {values[name]} > %s THEN 'after_incident:{name}:' || {shown}")
        params += [_dt(start), _dt(end)]
    for later, earlier in spec.not_before:
        whens.append(f"WHEN {values[later]} < {values[earlier]} THEN 'order:{later}:'")
    return f"CASE {' '.join(whens)} END", join, params


def _pg_check_cells(cursor, spec, incident, columns, values, result, *, typed=False):
    """One scan of the staged file: the first problem of each line, its code, the column and the value."""
    problem, join, params = _pg_problem(spec, incident, columns, values, typed=typed)
    sql = (
        f"SELECT line, problem, count(*) OVER () FROM (SELECT s.line, {problem} AS problem "
        f"FROM {STAGING} s {join}) q WHERE problem IS NOT NULL ORDER BY line LIMIT {MAX_REPORTED}"
    )
    cursor.execute(sql, params)
    for line, problem, total in cursor.fetchall():
        code, column, value = problem.split(":", 2)
        result.errors.append((line, _message(code, column, value)))
        result.refused = total


class _NotClean(Exception):
    """The one-statement import left lines out: undone, and the checks one by one name them."""


def _pg_add_if_clean(cursor, spec, incident, actor, columns, values, result):
    """The file as it should be, in two statements: the rows recorded before, then one INSERT of the
    lines without a problem. True when every line was added or found unchanged; otherwise nothing of
    it stays (savepoint) and False sends the file through the checks that name each bad line.

    The same record twice in the file fails the INSERT on the unique constraint instead of a
    grouping pass over the file; a recorded row met twice, changed or with a problem is left to
    the checks too.
    """
    problem, join, params = _pg_problem(spec, incident, columns, values, typed=True)
    table = spec.model._meta.db_table
    scope, scope_params = _scope(spec, incident)
    cursor.execute(
        f"SELECT count(*) FILTER (WHERE ({_same_sql(spec, values)}) AND ({problem}) IS NULL), "
        f"count(*) - count(DISTINCT t.id) + count(*) FILTER (WHERE NOT ({_same_sql(spec, values)}) "
        f"OR ({problem}) IS NOT NULL) FROM {STAGING} s {join} JOIN {table} t ON {scope}{_key_sql(spec, values)}",
        params + params + scope_params,
    )
    unchanged, trouble = cursor.fetchone()
    if trouble:
        return False
    try:
        with transaction.atomic():
            added = _insert(
                cursor, spec, incident, actor, values, where=f"({problem}) IS NULL", join=join, params=params
            )
            if added + unchanged != result.read:
                raise _NotClean
    except (_NotClean, IntegrityError):
        return False
    result.added, result.unchanged = added, unchanged
    return True


def _pg_settings(cursor):
    """For the import's own transaction only (SET LOCAL).

    synchronous_commit off: the commit does not wait for the disk. A PostgreSQL crash in the
    next fraction of a second can lose the whole import (never half of it: the database comes back
    consistent, as it was just before), and the file is imported again; it cannot change or corrupt
    anything recorded. work_mem: the hash joins against the known accounts and the rows recorded
    before stay in memory.
    """
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the indexes of a new partition


def _pg_lock_incident(cursor, spec, incident):
    """One import of this log per incident at a time, until the transaction ends: the checks against
    the rows recorded before see every one of them (the unique index stays the last guard)."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [spec.model._meta.db_table, int(incident.pk)])


def _pg_new_partition(cursor, spec, incident, actor, columns, raw, result, *, alone):
    body = log_partitions.body(raw)
    if body is None:
        return False
    return (log_loading if alone else log_partitions).load_new_incident(
        cursor,
        spec=spec,
        incident=incident,
        actor=actor,
        columns=columns,
        body=body,
        window=_window(incident),
        now=timezone.now(),
        result=result,
    )


def _sqlite_stage(cursor, spec, incident, columns, text, result):
    known_accounts = None
    if spec.needs_account and any(c.field == "account_id" for c in columns):
        known_accounts = _AccountLookup()
    start, end = _window(incident) if incident is not None else (None, None)
    reader = csv.reader(text)
    batch = []
    placeholders = ", ".join(["%s"] * (len(columns) + 1))
    insert = f"INSERT INTO {STAGING} VALUES ({placeholders})"
    line = 1
    for row in reader:
        line = reader.line_num + 1
        if not row:
            continue
        result.read += 1
        try:
            if len(row) != len(columns):
                raise ValueError(
                    _("The line has %(n)d cells; the header has %(m)d.") % {"n": len(row), "m": len(columns)}
                )
            parsed = _sqlite_parse(spec, columns, row, start, end, known_accounts)
        except _CellError as error:
            _refuse(result, line, _message(error.code, error.column, error.value))
            continue
        except ValueError as error:
            _refuse(result, line, str(error))
            continue
        batch.append([line, *parsed])
        if len(batch) >= SQLITE_BATCH:
            cursor.executemany(insert, batch)
            batch.clear()
    if batch:
        cursor.executemany(insert, batch)


def _refuse(result, line, message):
    result.refused += 1
    if len(result.errors) < MAX_REPORTED:
        result.errors.append((line, message))


class _AccountLookup:
    """Known account ids, asked in chunks (bounded memory: a cache of the last few thousand)."""

    def __init__(self):
        self.known = set()

    def __contains__(self, account_id):
        if account_id in self.known:
            return True
        found = ExchangeAccount.objects.filter(account_id=account_id).exists()
        if found:
            if len(self.known) > 50_000:
                self.known.clear()
            self.known.add(account_id)
        return found


def _sqlite_parse(spec, columns, row, start, end, known_accounts):
    values = {}
    for col, raw in zip(columns, row, strict=True):
        values[col.field] = _parse_cell(col, raw)
    if spec.name == "orders" and not values.get("account_id") and not values.get("email"):
        raise _CellError("who", "", "")
    account = values.get("account_id")
    if known_accounts is not None and account and account not in known_accounts:
        raise _CellError("unknown_account", "account_id", account)
    for name in spec.in_window:
        if values[name] < start:
            raise _CellError("before_incident", name, row[[c.field for c in columns].index(name)])
        if values[name] > end:
            raise _CellError("after_incident", name, row[[c.field for c in columns].index(name)])
    for later, earlier in spec.not_before:
        if values[later] < values[earlier]:
            raise _CellError("order", later, "")
    out = []
    for col in columns:
        value = values[col.field]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        out.append(value)
    return out


def _key_sql(spec, values, alias="t"):
    return " AND ".join(f"{alias}.{name} = {values[name]}" for name in spec.key)


def _scope(spec, incident, alias="t"):
    return (f"{alias}.incident_id = %s AND ", [incident.pk]) if spec.per_incident else ("", [])


def _cast_free(spec):
    kinds = {c.field: c.kind for c in spec.columns}
    return all(kinds[name] in ("ref", "account", "asset", "side", "direction") for name in spec.key)


def _check_duplicates(cursor, spec, values, result):
    """The same record twice in the file: the later line is refused, naming the first."""
    cursor.execute(_duplicates_sql(spec, values))
    for line, first, total in cursor.fetchall():
        result.errors.append((line, _("The same record is already on line %(other)d.") % {"other": first}))
        result.refused += 1 if total else 0
    _sort_errors(result)


def _sort_errors(result):
    seen, merged = set(), []
    for line, message in sorted(result.errors, key=lambda item: item[0]):
        if line not in seen:
            seen.add(line)
            merged.append((line, message))
    result.errors[:] = merged[:MAX_REPORTED]


def _check_recorded(cursor, spec, incident, values, result):
    """Rows recorded before: the same details count as unchanged, other details are refused."""
    table = spec.model._meta.db_table
    scope, params = _scope(spec, incident)
    same = _same_sql(spec, values)
    cursor.execute(
        f"SELECT s.line, CASE WHEN {same} THEN 1 ELSE 0 END FROM {STAGING} s JOIN {table} t ON "
        f"{scope}{_key_sql(spec, values)} ORDER BY s.line",
        params,
    )
    for line, identical in cursor.fetchall():
        if identical:
            result.unchanged += 1
        else:
            _refuse(
                result,
                line,
                _("This record is already imported with other details; imported records are never changed."),
            )


def _same_sql(spec, values):
    """True when the recorded row `t` has the details of the staged line `s` (the key aside)."""
    compared = [name for name in spec.fields if name not in spec.key and name != "error"]
    return " AND ".join(f"t.{name} = {values[name]}" for name in compared) or "1 = 1"


def _with_empty(spec, values):
    """Optional columns the file left out get their empty value."""
    return {**{col.field: "''" for col in spec.columns}, **values}


def _duplicates_sql(spec, values):
    key = [values[name] for name in spec.key]
    inner = ", ".join(f"{expr} AS k{i}" for i, expr in enumerate(key))
    grouped = ", ".join(f"k{i}" for i in range(len(key)))
    join = " AND ".join(f"d.k{i} = f.k{i}" for i in range(len(key)))
    return (
        f"WITH f AS (SELECT s.line, {inner} FROM {STAGING} s), "
        f"d AS (SELECT {grouped}, min(line) AS first_line FROM f GROUP BY {grouped} HAVING count(*) > 1) "
        f"SELECT f.line, d.first_line, count(*) OVER () FROM f JOIN d ON {join} "
        f"WHERE f.line > d.first_line ORDER BY f.line LIMIT {MAX_REPORTED}"
    )


def _insert(cursor, spec, incident, actor, values, *, where="TRUE", join="", params=()):
    """One INSERT … SELECT of the staged lines (`where`) not recorded yet; returns the rows added."""
    table = spec.model._meta.db_table
    fields = list(values)
    select = [values[name] for name in fields]
    fields += ["imported_by_id", "imported_at"]
    select += ["%s", "%s"]
    select_params = [actor.pk, _dt(timezone.now())]
    if spec.per_incident:
        fields.append("incident_id")
        select.append("%s")
        select_params.append(incident.pk)
    if spec.name == "accounts":
        fields += ["payout_kind", "payout_details", "identity_check", "link_method"]
        select += ["'exchange_credit'", "''", "''", "''"]
    scope, scope_params = _scope(spec, incident)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(fields)}) SELECT {', '.join(select)} FROM {STAGING} s {join} "
        f"WHERE {where} AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {scope}{_key_sql(spec, values)})",
        select_params + list(params) + scope_params,
    )
    return cursor.rowcount
