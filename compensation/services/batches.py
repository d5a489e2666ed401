"""Proactive compensation: size every affected account from the exchange's logs, approve, issue decisions.

DAXA asks the exchange to 회사 내부 데이터를 적극적으로 검토하여 피해여부를 산정 and compensate
신속하고 적절하게. A `CompensationBatch` goes draft → computed → approved → issued (or cancelled):

- compute: one set-based statement per damage type over the imported logs (price difference by
  side against the executable price from the imported market prices; interest on delayed funds for
  the days delayed; a fixed amount for failed logins) under the policy version in force for the
  incident (what its notice published, by the rule filed claims follow: `terms_in_force`), its cap,
  the batch's minimum, and the merge with claims the users filed themselves. The number of
  statements does not depend on the number of accounts.
- approve: four eyes. The preparer cannot approve; above `COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW`
  compliance co-approves as well.
- issue: per account a claim `origin=proactive` already `decided`, its decision (보상여부·금액·
  지급예정일, reasons naming the evidence), the same objection window and rounds as a filed
  claim, an event row and one outbox mail — each a single INSERT … SELECT; filed claims decided
  below their line are raised by a corrected decision (`batch_corrections`).
- who may do which of these: `compensation.permissions.BATCH_ACTIONS`.
"""

import json
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from compensation.models import (
    AffectedOrder,
    BatchEvent,
    BatchLine,
    BatchState,
    Claim,
    ClaimEvent,
    ClaimOrigin,
    ClaimState,
    CompensationBatch,
    CompensationPolicy,
    DamageType,
    Decision,
    DelayedTransfer,
    ExchangeAccount,
    FailedLogin,
    LineOutcome,
    MarketPrice,
    Method,
    Notification,
    PayoutMethod,
    PolicyVersion,
)
from compensation.notifications import keys, outbox
from compensation.permissions import BatchAction, batch_refusal, require_batch_action
from compensation.selectors.batches import batch_waiting_corrections
from compensation.selectors.terms import published_terms_in_force
from compensation.services import deadlines
from compensation.services.batch_corrections import bilingual, correct_filed_claims, korean
from compensation.services.policies import policy_version_record
from incidents import calendar
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst

EVIDENCE_CHARS = 500

# Which policy sizes which log: the method it must have, and the damage types preferred, in order.
LOG_POLICIES = {
    "orders": (Method.PRICE_DIFFERENCE, (DamageType.MISSED_TRADE, DamageType.WRONG_PRICE)),
    "transfers": (Method.INTEREST, (DamageType.DELAYED_FUNDS,)),
    "logins": (Method.FIXED_AMOUNT, (DamageType.MISSED_TRADE, DamageType.OTHER)),
}


def minimum_krw():
    return max(0, getattr(settings, "COMPENSATION_BATCH_MIN_KRW", 1000))


def compliance_limit_krw():
    return getattr(settings, "COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW", 100_000_000)


def _t(model):
    return model._meta.db_table


def _pg():
    return connection.vendor == "postgresql"


def _dt(value):
    """A datetime as the database compares it in raw SQL (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _lock(batch):
    return CompensationBatch.objects.select_for_update().select_related("incident").get(pk=batch.pk)


def _transition(batch, method_name, *, actor, reason="", data=None):
    method = getattr(batch, method_name)
    if not can_proceed(method):
        raise DomainError(
            _("This batch cannot do that now: it is “%(state)s”.") % {"state": batch.get_state_display()},
            code=ErrorCode.INVALID_TRANSITION,
        )
    before = batch.state
    method()
    batch.save()
    BatchEvent.objects.create(
        batch=batch, from_state=before, to_state=batch.state, actor=actor, reason=reason, data=data or {}
    )


def batch_create(*, incident, actor, minimum=None):
    """A draft batch for the incident; one open batch per incident at a time."""
    require_batch_action(actor, BatchAction.CREATE)
    with transaction.atomic():
        if CompensationBatch.objects.filter(
            incident=incident, state__in=[BatchState.DRAFT, BatchState.COMPUTED, BatchState.APPROVED]
        ).exists():
            raise DomainError(_("This incident already has an open batch."), code=ErrorCode.DUPLICATE)
        batch = CompensationBatch.objects.create(
            incident=incident, created_by=actor, minimum_krw=minimum_krw() if minimum is None else minimum
        )
        BatchEvent.objects.create(batch=batch, from_state="", to_state=batch.state, actor=actor, reason=_("Created"))
    return batch


# --- compute -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Terms:
    """The terms one log is sized with: the policy version in force for the incident, with its cap."""

    policy_id: int
    version: PolicyVersion
    notice_terms_id: int | None
    cap_krw: int
    why: str

    def recorded(self):
        return {
            "policy": self.policy_id,
            "policy_version": self.version.pk,
            "version_number": self.version.number,
            "notice_terms": self.notice_terms_id,
            "cap_krw": self.cap_krw,
            "why": self.why,
        }


def terms_in_force(incident):
    """Every policy's terms in force for the incident, as filed claims get them.

    What the incident's notice published (selectors.terms.published_terms_in_force: a later policy
    version counts only once a notice version publishes it, and reaches the incident only when more
    favourable or when that revision says so); an active policy of the incident's type that no
    notice published yet is applied in its latest version, as the claim form does.
    """
    out = {}
    for policy_id, (notice_terms, why) in published_terms_in_force(incident).items():
        out[policy_id] = Terms(policy_id, notice_terms.policy_version, notice_terms.pk, notice_terms.cap_krw, why)
    for policy in CompensationPolicy.objects.filter(incident_type=incident.incident_type, is_active=True):
        if policy.pk not in out:
            version = policy_version_record(policy=policy)
            why = _("policy version %(v)d (not on the incident's notice yet)") % {"v": version.number}
            out[policy.pk] = Terms(policy.pk, version, None, version.cap_krw, why)
    return out


def _terms_for(in_force, log):
    method, preferred = LOG_POLICIES[log]
    candidates = [terms for terms in in_force.values() if terms.version.method == method]
    if not candidates:
        raise DomainError(
            _("No active policy with the method “%(method)s” for this incident type: add one first.")
            % {"method": Method(method).label},
            code=ErrorCode.POLICY,
        )
    damage = lambda terms: terms.version.damage_type  # noqa: E731
    candidates.sort(key=lambda t: (preferred.index(damage(t)) if damage(t) in preferred else 99, t.policy_id))
    return candidates[0]


def _executable_prices_sql():
    """asset → the first traded price at or after recovery (the incident's end)."""
    mp = _t(MarketPrice)
    return (
        f"SELECT p.asset, p.price_krw FROM {mp} p JOIN (SELECT asset, MIN(at) AS at FROM {mp} "
        f"WHERE incident_id = %s AND at >= %s GROUP BY asset) f ON p.asset = f.asset AND p.at = f.at "
        f"WHERE p.incident_id = %s"
    )


def _require_prices(cursor, incident, table, where):
    cursor.execute(
        f"SELECT DISTINCT o.asset FROM {table} o WHERE o.incident_id = %s AND {where} AND o.asset NOT IN "
        f"(SELECT asset FROM {_t(MarketPrice)} WHERE incident_id = %s AND at >= %s) ORDER BY o.asset",
        [incident.pk, incident.pk, _dt(incident.ended_at)],
    )
    missing = [row[0] for row in cursor.fetchall()]
    if missing:
        raise DomainError(
            _("No market price at or after recovery for %(assets)s: import the prices first.")
            % {"assets": ", ".join(missing)},
            code=ErrorCode.POLICY,
        )


def _sql():
    """The few expressions SQLite and PostgreSQL spell differently."""
    if _pg():
        return {
            "greatest": "GREATEST",
            "least": "LEAST",
            "agg": lambda expr, order: f"left(string_agg({expr}, ', ' ORDER BY {order}), {EVIDENCE_CHARS})",
            "int": lambda expr: f"floor({expr})::bigint",
            # Exact integer quotient of numerics (amounts are never negative, so it is the floor).
            "div": lambda expr, by: f"div({expr}, {by})::bigint",
            "text": lambda expr: f"({expr})::text",
            "krw": lambda expr: f"to_char({expr}, 'FM999,999,999,999,999,990')",
            "days": lambda a, b: f"((extract(epoch FROM ({a} - {b}))::bigint + 86399) / 86400)",
            "true": "true",
            "false": "false",
        }
    return {
        "greatest": "MAX",
        "least": "MIN",
        "agg": lambda expr, order: f"substr(group_concat({expr}, ', '), 1, {EVIDENCE_CHARS})",
        "int": lambda expr: f"CAST({expr} AS INTEGER)",
        "div": lambda expr, by: f"CAST(({expr}) / {by} AS INTEGER)",
        "text": lambda expr: f"CAST({expr} AS TEXT)",
        "krw": lambda expr: f"printf('%%,d', {expr})",
        "days": lambda a, b: f"CAST(((julianday({a}) - julianday({b})) * 86400 + 86399) / 86400 AS INTEGER)",
        "true": "1",
        "false": "0",
    }


def _insert_lines(cursor, batch, terms, evidence_rows, line_amount, from_where, params):
    """One INSERT … SELECT of an account's lines for one policy (cap applied in the same statement).

    `line_amount` is an aggregate over the account's log rows: the exact sum, cut to whole KRW once
    (원 미만 절사), as `suggest_amount` rounds a claim — never per row.
    """
    q = _sql()
    cap = terms.cap_krw
    cursor.execute(
        f"INSERT INTO {_t(BatchLine)} (batch_id, account_id, policy_id, policy_version_id, notice_terms_id, "
        f"evidence_rows, evidence, computed_krw, amount_krw, capped, outcome) SELECT %s, account_id, %s, %s, %s, "
        f"rows_, evidence_, raw_, {q['least']}(raw_, %s), CASE WHEN raw_ > %s THEN {q['true']} ELSE {q['false']} "
        f"END, %s FROM (SELECT o.account_id AS account_id, COUNT(*) AS rows_, {evidence_rows} AS evidence_, "
        f"{line_amount} AS raw_ {from_where} GROUP BY o.account_id) x",
        [batch.pk, terms.policy_id, terms.version.pk, terms.notice_terms_id, cap, cap, LineOutcome.ISSUE, *params],
    )


def _order_lines(cursor, batch, incident, terms):
    """Price difference by side on the failed orders, against the first price after recovery."""
    q = _sql()
    _require_prices(cursor, incident, _t(AffectedOrder), "o.account_id <> ''")
    difference = (
        f"{q['greatest']}(0, CASE o.side WHEN 'buy' THEN x.price_krw - o.price_krw "
        f"ELSE o.price_krw - x.price_krw END) * o.quantity"
    )
    _insert_lines(
        cursor,
        batch,
        terms,
        q["agg"]("o.order_ref", "o.attempted_at"),
        q["int"](f"SUM({difference})"),
        f"FROM {_t(AffectedOrder)} o JOIN ({_executable_prices_sql()}) x ON x.asset = o.asset "
        f"WHERE o.incident_id = %s AND o.account_id <> ''",
        [incident.pk, _dt(incident.ended_at), incident.pk, incident.pk],
    )


def _transfer_lines(cursor, batch, incident, terms):
    """Interest on delayed deposits and withdrawals, for the days delayed (at least one)."""
    q = _sql()
    _require_prices(cursor, incident, _t(DelayedTransfer), "o.asset <> 'KRW'")
    value = "(CASE WHEN o.asset = 'KRW' THEN o.amount ELSE o.amount * x.price_krw END)"
    days = f"{q['greatest']}(1, {q['days']('o.completed_at', 'o.requested_at')})"
    rate = terms.version.annual_interest_rate_bp or 0
    _insert_lines(
        cursor,
        batch,
        terms,
        q["agg"](
            f"o.direction || ' ' || {q['text']('o.amount')} || ' ' || o.asset || ' (' || {q['text'](days)} || 'd)'",
            "o.requested_at",
        ),
        q["div"](f"SUM({value} * {rate} * {days})", 3_650_000),
        f"FROM {_t(DelayedTransfer)} o LEFT JOIN ({_executable_prices_sql()}) x ON x.asset = o.asset "
        f"WHERE o.incident_id = %s",
        [incident.pk, _dt(incident.ended_at), incident.pk, incident.pk],
    )


def _login_lines(cursor, batch, incident, terms):
    """A fixed amount per account whose logins failed."""
    q = _sql()
    fixed = terms.version.fixed_amount_krw or 0
    cursor.execute(
        f"INSERT INTO {_t(BatchLine)} (batch_id, account_id, policy_id, policy_version_id, notice_terms_id, "
        f"evidence_rows, evidence, computed_krw, amount_krw, capped, outcome) SELECT %s, o.account_id, %s, %s, %s, "
        f"COUNT(*), {q['agg']('o.account_id', 'o.attempted_at')}, %s, %s, "
        f"CASE WHEN %s > %s THEN {q['true']} ELSE {q['false']} END, %s "
        f"FROM {_t(FailedLogin)} o WHERE o.incident_id = %s GROUP BY o.account_id",
        [
            batch.pk,
            terms.policy_id,
            terms.version.pk,
            terms.notice_terms_id,
            fixed,
            min(fixed, terms.cap_krw),
            fixed,
            terms.cap_krw,
            LineOutcome.ISSUE,
            incident.pk,
        ],
    )
    cursor.execute(
        f"UPDATE {_t(BatchLine)} SET evidence = CAST(evidence_rows AS TEXT) || %s "
        f"WHERE batch_id = %s AND policy_id = %s",
        [bilingual(lambda: _(" failed login(s) during the outage"), sep=" /"), batch.pk, terms.policy_id],
    )


# log → (are there rows to size?, the statement(s) sizing them)
LOG_SIZERS = {
    "orders": (lambda incident: AffectedOrder.objects.filter(incident=incident).exclude(account_id=""), _order_lines),
    "transfers": (lambda incident: DelayedTransfer.objects.filter(incident=incident), _transfer_lines),
    "logins": (lambda incident: FailedLogin.objects.filter(incident=incident), _login_lines),
}


def _compute_lines(batch, incident):
    """Every log's lines (one INSERT … SELECT per log) and their outcomes; → {log: terms recorded}."""
    in_force = terms_in_force(incident)
    used = {}
    BatchLine.objects.filter(batch=batch).delete()
    with connection.cursor() as cursor:
        for log, (rows, sizer) in LOG_SIZERS.items():
            if rows(incident).exists():
                terms = _terms_for(in_force, log)
                sizer(cursor, batch, incident, terms)
                used[log] = terms.recorded()
        if not used:
            raise DomainError(
                _("No log rows with an exchange account for this incident: import the logs first."),
                code=ErrorCode.EMPTY_FILE,
            )
        _classify(cursor, batch, incident)
    return used


def batch_compute(*, batch, actor):
    """(Re)compute every line of the batch from the logs; the preparer is whoever computes."""
    require_batch_action(actor, BatchAction.COMPUTE)
    with transaction.atomic():
        batch = _lock(batch)
        incident = batch.incident
        require_batch_action(actor, BatchAction.COMPUTE, batch)
        if incident.ended_at is None:
            raise DomainError(
                _("Record when the incident ended first: the executable price is the first price after recovery."),
                code=ErrorCode.INCIDENT_ONGOING,
            )
        used = _compute_lines(batch, incident)
        _totals(batch)
        batch.policies = used
        batch.prepared_by = actor
        batch.computed_at = timezone.now()
        batch.approved_by = batch.compliance_approved_by = None
        batch.approved_at = batch.compliance_approved_at = None
        _transition(
            batch,
            "compute",
            actor=actor,
            reason=_("Computed: %(n)d accounts to issue, %(total)s KRW")
            % {"n": batch.to_issue, "total": f"{batch.total_krw:,}"},
            data={"to_issue": batch.to_issue, "total_krw": batch.total_krw, "policies": used},
        )
    return batch


def _classify(cursor, batch, incident):
    """Nothing, below the minimum, merged into a filed claim, or issued by an earlier batch."""
    line, claim, account = _t(BatchLine), _t(Claim), _t(ExchangeAccount)
    cursor.execute(
        f"UPDATE {line} SET outcome = CASE WHEN amount_krw = 0 THEN %s ELSE %s END "
        f"WHERE batch_id = %s AND amount_krw < %s",
        [LineOutcome.NOTHING, LineOutcome.BELOW_MINIMUM, batch.pk, max(batch.minimum_krw, 1)],
    )
    filed = (
        f"SELECT c.id FROM {claim} c JOIN {account} a ON a.user_id = c.claimant_id "
        f"WHERE a.account_id = {line}.account_id AND c.incident_id = %s AND c.policy_id = {line}.policy_id "
        f"AND c.origin = %s AND c.state <> %s"
    )
    cursor.execute(
        f"UPDATE {line} SET outcome = %s, filed_claim_id = ({filed} ORDER BY c.id LIMIT 1) "
        f"WHERE batch_id = %s AND EXISTS ({filed})",
        [
            LineOutcome.FILED_CLAIM,
            incident.pk,
            ClaimOrigin.FILED,
            ClaimState.WITHDRAWN,
            batch.pk,
            incident.pk,
            ClaimOrigin.FILED,
            ClaimState.WITHDRAWN,
        ],
    )
    cursor.execute(
        f"UPDATE {line} SET outcome = %s WHERE batch_id = %s AND EXISTS (SELECT 1 FROM {claim} c JOIN {account} a "
        f"ON c.exchange_account_id = a.id WHERE a.account_id = {line}.account_id AND c.incident_id = %s "
        f"AND c.policy_id = {line}.policy_id AND c.origin = %s)",
        [LineOutcome.ALREADY_ISSUED, batch.pk, incident.pk, ClaimOrigin.PROACTIVE],
    )


def _totals(batch):
    totals = BatchLine.objects.filter(batch=batch).aggregate(
        accounts=Count("account_id", distinct=True),
        to_issue=Count("pk", filter=Q(outcome=LineOutcome.ISSUE)),
        total=Sum("amount_krw", filter=Q(outcome=LineOutcome.ISSUE)),
    )
    batch.accounts = totals["accounts"] or 0
    batch.to_issue = totals["to_issue"] or 0
    batch.total_krw = totals["total"] or 0


# --- approve, cancel -----------------------------------------------------------------------------
def needs_compliance(batch):
    return batch.total_krw > compliance_limit_krw()


def approval_context(batch):
    return {"needs_compliance": needs_compliance(batch), "limit_krw": compliance_limit_krw()}


def _approval_kind(actor, batch=None, kind=None):
    """APPROVE or CO_APPROVE (`kind`, or whichever `actor` may give now); else the clearest refusal is raised."""
    context = approval_context(batch) if batch is not None else {}
    refusals = {}
    for action in (kind,) if kind else (BatchAction.APPROVE, BatchAction.CO_APPROVE):
        refusal = batch_refusal(actor, action, batch, **context)
        if refusal is None:
            return action
        refusals[action] = refusal
    # The refusal of the approval the actor's role gives (a supervisor approves, compliance co-approves).
    message, code = next((r for r in refusals.values() if r[1] != ErrorCode.FORBIDDEN), refusals[BatchAction.APPROVE])
    raise DomainError(message, code=code)


def batch_approve(*, batch, actor, note="", kind=None):
    """Four eyes: a supervisor other than the preparer approves; above the limit, compliance co-approves.

    `kind` (BatchAction.APPROVE or CO_APPROVE), or whichever of the two the actor may give now
    (permissions.BATCH_ACTIONS), is recorded.
    """
    _approval_kind(actor, kind=kind)
    with transaction.atomic():
        batch = _lock(batch)
        now = timezone.now()
        if _approval_kind(actor, batch, kind) == BatchAction.APPROVE:
            batch.approved_by, batch.approved_at = actor, now
        else:
            batch.compliance_approved_by, batch.compliance_approved_at = actor, now
        complete = batch.approved_by_id and (not needs_compliance(batch) or batch.compliance_approved_by_id)
        if complete:
            _transition(batch, "approve", actor=actor, reason=note or _("Approved"))
        else:
            batch.save()
            BatchEvent.objects.create(
                batch=batch,
                from_state=batch.state,
                to_state=batch.state,
                actor=actor,
                reason=_("Approved; waiting for the second approval (%(limit)s KRW or more needs compliance).")
                % {"limit": f"{compliance_limit_krw():,}"},
            )
    return batch


def batch_cancel(*, batch, actor, reason):
    require_batch_action(actor, BatchAction.CANCEL)
    if not (reason or "").strip():
        raise DomainError(_("Say why the batch is cancelled."))
    with transaction.atomic():
        batch = _lock(batch)
        require_batch_action(actor, BatchAction.CANCEL, batch)
        _transition(batch, "cancel", actor=actor, reason=reason)
    return batch


# --- issue ---------------------------------------------------------------------------------------
def _concat(parts):
    """SQL concatenating literal pieces (as parameters) and expressions: ([(is_sql, text)]) → (sql, params)."""
    sql, params = [], []
    for is_sql, text in parts:
        if is_sql:
            sql.append(f"({text})")
        else:
            sql.append("%s")
            params.append(text)
    return " || ".join(sql), params


def _reasons_sql(batch):
    """The decision's reasons, naming the evidence: Korean, then English below (whoever issues the batch)."""
    with translation.override("ko"):
        korean, korean_params = _reasons_sql_in_language(batch)
    with translation.override("en"):
        english, english_params = _reasons_sql_in_language(batch)
    return f"({korean}) || %s || ({english})", [*korean_params, "\n\n", *english_params]


def _reasons_sql_in_language(batch):
    q = _sql()
    marker = "\x00"
    template = _(
        "Compensated without a claim from the exchange's own records (batch %(batch)s). "
        "Evidence: %(rows)s record(s) of “%(policy)s” — %(evidence)s. Amount: %(amount)s KRW%(capped)s."
    ) % {
        "batch": batch.pk,
        "rows": f"{marker}rows{marker}",
        "policy": f"{marker}policy{marker}",
        "evidence": f"{marker}evidence{marker}",
        "amount": f"{marker}amount{marker}",
        "capped": f"{marker}capped{marker}",
    }
    exprs = {
        "rows": q["text"]("l.evidence_rows"),
        "policy": "coalesce(pv.name, p.name)",
        "evidence": "l.evidence",
        "amount": q["krw"]("l.amount_krw"),
        "capped": (
            f"CASE WHEN l.capped = {q['true']} THEN %s ELSE '' END",
            [_(" (the policy cap; computed %(computed)s KRW)") % {"computed": "\x01"}],
        ),
    }
    parts, extra = [], []
    for i, piece in enumerate(template.split(marker)):
        if i % 2 == 0:
            if piece:
                parts.append((False, piece))
            continue
        expr = exprs[piece]
        if isinstance(expr, tuple):
            # " (the policy cap; computed N KRW)" with N filled in SQL.
            before, after = expr[1][0].split("\x01")
            parts.append(
                (
                    True,
                    f"CASE WHEN l.capped = {q['true']} THEN '{_sql_literal(before)}' || "
                    f"{q['krw']('l.computed_krw')} || '{_sql_literal(after)}' ELSE '' END",
                )
            )
        else:
            parts.append((True, expr))
    sql, params = _concat(parts)
    return sql, params + extra


def _unset_defaults(model, given):
    """(column, value) for the NOT NULL columns a raw INSERT does not name: their model default.

    Keeps the set-based INSERTs right when a column with a default is added to the model later.
    """
    out = []
    for field in model._meta.concrete_fields:
        if field.column in given or field.null or getattr(field, "generated", False):
            continue
        if field.has_default():
            out.append((field.column, field.get_db_prep_save(field.get_default(), connection)))
        elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
            out.append((field.column, ""))
    return out


def _execute_insert(cursor, model, sql, params):
    cursor.execute(*_with_defaults(model, sql, params))


def _with_defaults(model, sql, params):
    """Add the model-default columns a raw `INSERT INTO t (cols) SELECT vals FROM …` leaves out.

    `sql` is "INSERT INTO t (a, b) SELECT x, y FROM …" with the FROM's parameters after the
    SELECT's: the extra values go right before FROM as parameters, in place.
    """
    head, rest = sql.split(") SELECT ", 1)
    given = [name.strip() for name in head.split("(", 1)[1].split(",")]
    extra = _unset_defaults(model, ["id", *given])
    if not extra:
        return sql, params
    select, source = rest.split(" FROM ", 1)
    before_from = select.count("%s")
    columns = ", ".join(column for column, _value in extra)
    values = ", ".join("%s" for _ in extra)
    sql = f"{head}, {columns}) SELECT {select}, {values} FROM {source}"
    params = [*params[:before_from], *(value for _column, value in extra), *params[before_from:]]
    return sql, params


def _sql_literal(text):
    return text.replace("'", "''").replace("%", "%%")


def _issue_values(batch, now):
    """The dates and texts every claim of the batch is issued with (as `claim_submit` + `claim_decide` set them)."""
    today = today_kst()
    cal = calendar.get_calendar()
    window_days = deadlines.objection_window_business_days(batch.incident_id)
    review_days = deadlines.review_business_days()
    return {
        "now": _dt(now),
        "today": today,
        "description": bilingual(
            lambda: (
                _("Compensation without a claim, computed from the exchange's own records (batch %(batch)s).")
                % {"batch": batch.pk}
            )
        ),
        "review_due": cal.add_business_days(today, review_days),
        "review_days": review_days,
        "window_days": window_days,
        "window_ends": cal.add_business_days(today, window_days),
        "revision": cal.revision,
        "statutory_due": deadlines.statutory_review_due(now),
    }


def require_no_waiting_corrections(batch):
    """A merged filed claim whose correction waits for a second supervisor has no settled amount to
    compare with its line: issuing would raise it while its own correction is open (paid twice) or
    skip it (left out). Those corrections are approved first; the batch page lists them."""
    waiting = batch_waiting_corrections(batch)
    if waiting:
        shown = ", ".join(f"{line.account_id} ({line.filed_claim.number})" for line in waiting[:20])
        more = len(waiting) - 20
        raise DomainError(
            _(
                "Cannot issue yet: %(n)d filed claim(s) merged into this batch have a correction waiting for a "
                "second supervisor: %(claims)s%(more)s. Approve those corrections first; issuing then raises "
                "any that still pay less than the batch, once."
            )
            % {"n": len(waiting), "claims": shown, "more": _(" and %(n)d more") % {"n": more} if more > 0 else ""},
            code=ErrorCode.PENDING,
        )


def batch_issue(*, batch, actor):
    """Issue every line to issue as a decided proactive claim with its decision, event row and mail."""
    require_batch_action(actor, BatchAction.ISSUE)
    with transaction.atomic():
        batch = _lock(batch)
        require_batch_action(actor, BatchAction.ISSUE, batch)
        require_no_waiting_corrections(batch)
        incident = batch.incident
        now = timezone.now()
        values = _issue_values(batch, now)
        stamp, window_ends = values["now"], values["window_ends"]
        pay_on = deadlines.default_pay_date(decided_on=values["today"])
        with connection.cursor() as cursor:
            issued = _insert_claims(cursor, batch, incident, **values)
            _insert_decisions(cursor, batch, now=stamp, pay_on=pay_on, review_due=values["review_due"])
            if _pg():
                # The planner must know the rows inserted a moment ago before it joins them (else it
                # may loop over them once per row).
                cursor.execute(f"ANALYZE {_t(Claim)}, {_t(Decision)}, {_t(BatchLine)}")
            _insert_events(cursor, batch, actor=actor, now=stamp)
            _note_merged(cursor, batch, actor=actor, now=stamp)
            ids = _insert_notifications(cursor, batch, incident, now=stamp, window_ends=window_ends, pay_on=pay_on)
        corrected = correct_filed_claims(batch, actor=actor)
        batch.issued_by, batch.issued_at = actor, now
        _transition(
            batch,
            "issue",
            actor=actor,
            reason=_("Issued %(n)d decisions; %(corrected)d filed claims decided below raised to the batch amount")
            % {"n": issued, "corrected": len(corrected)},
            data={
                "issued": issued,
                "total_krw": batch.total_krw,
                "corrected_claims": [line.filed_claim_id for line in corrected],
            },
        )
        if ids:
            transaction.on_commit(partial(outbox.enqueue, ids), robust=True)
    return batch


def _claim_columns(incident, *, now, today, description, review_due, review_days, window_days, window_ends,
                   revision, statutory_due):  # fmt: skip
    """(columns, select expressions, parameters) of a proactive claim per batch line `l` × account `a`."""
    pg = _pg()
    columns = [
        "incident_id", "policy_id", "policy_version_id", "notice_terms_id", "claimant_id", "origin",
        "exchange_account_id", "state", "idempotency_key",
        "amount_claimed_krw", "asset", "side", "description", "payout_method", "payout_account", "filed_at",
        "review_due_on", "review_business_days", "review_clock_started_on", "review_extension_reason",
        "objection_window_started_on", "objection_window_business_days", "objection_window_ends_on",
        "calendar_revision", "statutory_due_on", "objection_round", "created_at", "updated_at",
    ]  # fmt: skip
    uuid_sql = "gen_random_uuid()" if pg else "lower(hex(randomblob(16)))"
    payout = "CASE WHEN a.payout_kind = 'exchange_credit' THEN %s || a.account_id ELSE a.payout_details END"
    select = [
        "%s", "l.policy_id", "l.policy_version_id", "l.notice_terms_id", "a.user_id", "%s",
        "a.id", "%s", uuid_sql,
        "l.amount_krw", "''", "''", "%s", "CASE WHEN a.payout_kind = 'bank' THEN %s ELSE %s END", payout, "%s",
        "%s", "%s", "%s", "''",
        "%s", "%s", "%s",
        "%s", "%s", "0", "%s", "%s",
    ]  # fmt: skip
    params = [
        incident.pk, ClaimOrigin.PROACTIVE, ClaimState.DECIDED,
        description, PayoutMethod.BANK, PayoutMethod.WALLET, korean(lambda: _("exchange account ")), now,
        review_due, review_days, today,
        today, window_days, window_ends,
        revision, statutory_due, now, now,
    ]  # fmt: skip
    for column, value in _unset_defaults(Claim, ["id", "number", *columns]):
        columns.append(column)
        select.append("%s")
        params.append(value)
    return columns, select, params


def _insert_claims(cursor, batch, incident, **values):
    """One INSERT … SELECT of the claims to issue, numbered C-<year>-<id>; → how many."""
    claim, line, account = _t(Claim), _t(BatchLine), _t(ExchangeAccount)
    year = values["today"].year
    columns, select, params = _claim_columns(incident, **values)
    source = f"FROM {line} l JOIN {account} a ON a.account_id = l.account_id WHERE l.batch_id = %s AND l.outcome = %s"
    to_issue = [batch.pk, LineOutcome.ISSUE]
    if _pg():
        # Each line takes its claim's id from the sequence first (the foreign key is checked at
        # commit), so the claims are inserted with their ids and numbers and nothing is joined back.
        cursor.execute(
            f"UPDATE {line} SET claim_id = nextval(pg_get_serial_sequence('{claim}', 'id')) "
            f"WHERE batch_id = %s AND outcome = %s",
            to_issue,
        )
        cursor.execute(
            f"INSERT INTO {claim} (id, number, {', '.join(columns)}) SELECT l.claim_id, "
            f"'C-{year}-' || CASE WHEN l.claim_id < 1000000 THEN lpad(l.claim_id::text, 6, '0') "
            f"ELSE l.claim_id::text END, {', '.join(select)} {source}",
            params + to_issue,
        )
        return cursor.rowcount
    cursor.execute(f"INSERT INTO {claim} ({', '.join(columns)}) SELECT {', '.join(select)} {source}", params + to_issue)
    issued = cursor.rowcount
    # Each line points at its claim (the claim is the account's for this incident and policy).
    cursor.execute(
        f"UPDATE {line} AS l SET claim_id = c.id FROM {claim} c JOIN {account} a ON c.exchange_account_id = a.id "
        f"WHERE a.account_id = l.account_id AND c.incident_id = %s AND c.policy_id = l.policy_id "
        f"AND c.origin = %s AND l.batch_id = %s AND l.outcome = %s",
        [incident.pk, ClaimOrigin.PROACTIVE, *to_issue],
    )
    cursor.execute(
        f"UPDATE {claim} SET number = 'C-{year}-' || CASE WHEN id < 1000000 THEN substr('000000' || id, -6, 6) "
        f"ELSE CAST(id AS TEXT) END WHERE id IN (SELECT claim_id FROM {line} WHERE batch_id = %s "
        f"AND claim_id IS NOT NULL) AND number IS NULL",
        [batch.pk],
    )
    return issued


def _insert_decisions(cursor, batch, *, now, pay_on, review_due):
    q = _sql()
    reasons, reason_params = _reasons_sql(batch)
    _execute_insert(
        cursor,
        Decision,
        f"INSERT INTO {_t(Decision)} (claim_id, approved, amount_krw, reasons, internal_note, pay_on, due_on, "
        f"cap_override_reason, status, decided_by_id, decided_at, approved_by_id, approved_at, notified_at) "
        f"SELECT l.claim_id, {q['true']}, l.amount_krw, {reasons}, %s, %s, %s, '', %s, %s, %s, %s, %s, %s "
        f"FROM {_t(BatchLine)} l JOIN {_t(CompensationPolicy)} p ON p.id = l.policy_id "
        f"LEFT JOIN {_t(PolicyVersion)} pv ON pv.id = l.policy_version_id WHERE l.batch_id = %s AND l.outcome = %s",
        [
            *reason_params,
            _("Proactive batch %(batch)s") % {"batch": batch.pk},
            pay_on,
            review_due,
            Decision.Status.IN_FORCE,
            batch.prepared_by_id,
            now,
            batch.approved_by_id,
            _dt(batch.approved_at),
            now,
            batch.pk,
            LineOutcome.ISSUE,
        ],
    )


def _json_param():
    return "CAST(%s AS jsonb)" if _pg() else "%s"


def _insert_events(cursor, batch, *, actor, now):
    q = _sql()
    _execute_insert(
        cursor,
        ClaimEvent,
        f"INSERT INTO {_t(ClaimEvent)} (claim_id, kind, from_state, to_state, actor_id, reason, "
        f"visible_to_claimant, data, created_at) SELECT l.claim_id, %s, '', %s, %s, %s, {q['true']}, "
        f"{_json_param()}, %s FROM {_t(BatchLine)} l WHERE l.batch_id = %s AND l.outcome = %s",
        [
            ClaimEvent.Kind.TRANSITION,
            ClaimState.DECIDED,
            actor.pk,
            bilingual(lambda: _("Decided without a claim from the exchange's own records"), sep=" / "),
            json.dumps({"batch": batch.pk}),
            now,
            batch.pk,
            LineOutcome.ISSUE,
        ],
    )


def _set_languages(cursor, batch):
    """The recipient's language: what the linked portal user was last written in (the portal keeps no
    preference of its own: a user's requests set it, see notifications.claimant), else Korean.

    Every mail is Korean first with English below; the language picks the subject line.
    """
    n, line = _t(Notification), _t(BatchLine)
    ours = f"SELECT claim_id FROM {line} WHERE batch_id = %s AND claim_id IS NOT NULL"
    cursor.execute(
        f"UPDATE {n} SET language = coalesce((SELECT n2.language FROM {n} n2 WHERE n2.recipient_id = {n}.recipient_id "
        f"AND (n2.claim_id IS NULL OR n2.claim_id NOT IN ({ours})) ORDER BY n2.created_at DESC, n2.id DESC LIMIT 1), "
        f"'ko') WHERE kind = %s AND recipient_id IS NOT NULL AND claim_id IN ({ours})",
        [batch.pk, Notification.Kind.PROACTIVE_DECISION, batch.pk],
    )


def _insert_notifications(cursor, batch, incident, *, now, window_ends, pay_on):
    q = _sql()
    user_table = get_user_model()._meta.db_table
    pairs = [
        ("claim_id", "c.id"),
        ("claim_number", "c.number"),
        ("incident_title", "%s"),
        ("amount_krw", "l.amount_krw"),
        ("amount_display", q["krw"]("l.amount_krw")),
        ("pay_on", "%s"),
        ("reasons", "d.reasons"),
        ("objection_window_ends_on", "%s"),
        ("max_rounds", "%s"),
        ("rounds_left", "%s"),
        ("approved", q["true"] if _pg() else "json('true')"),
        ("account_id", "a.account_id"),
        ("exchange_account_pk", "a.id"),
        # Delivering the mail starts the objection window (outbox._decision_delivered, issue 12).
        ("decision_id", "d.id"),
    ]
    build = "json_build_object" if _pg() else "json_object"
    members = ", ".join(f"'{name}', {expr}" for name, expr in pairs)
    context = f"{build}({members})"
    if _pg():
        context += "::jsonb"
    email = "coalesce(nullif(u.email, ''), a.email, '')"
    _execute_insert(
        cursor,
        Notification,
        f"INSERT INTO {_t(Notification)} (key, kind, claim_id, recipient_id, to_email, language, context, subject, "
        f"body_text, body_html, state, attempts, last_error, next_attempt_at, created_at) "
        f"SELECT {keys.decision_sql('c.id', 'd.id')}, %s, c.id, c.claimant_id, {email}, 'ko', {context}, "
        f"'', '', '', %s, 0, '', %s, %s "
        f"FROM {_t(BatchLine)} l JOIN {_t(Claim)} c ON c.id = l.claim_id "
        f"JOIN {_t(Decision)} d ON d.claim_id = c.id JOIN {_t(ExchangeAccount)} a ON a.id = c.exchange_account_id "
        f"LEFT JOIN {user_table} u ON u.id = c.claimant_id "
        f"WHERE l.batch_id = %s AND l.outcome = %s AND {email} <> ''",
        [
            Notification.Kind.PROACTIVE_DECISION,
            incident.title,
            pay_on.isoformat(),
            window_ends.isoformat(),
            max(2, settings.COMPENSATION_MAX_OBJECTION_ROUNDS),
            max(2, settings.COMPENSATION_MAX_OBJECTION_ROUNDS),
            Notification.State.PENDING,
            now,
            now,
            batch.pk,
            LineOutcome.ISSUE,
        ],
    )
    _set_languages(cursor, batch)
    cursor.execute(
        f"SELECT n.id FROM {_t(Notification)} n JOIN {_t(BatchLine)} l ON n.claim_id = l.claim_id "
        f"WHERE l.batch_id = %s AND n.kind = %s",
        [batch.pk, Notification.Kind.PROACTIVE_DECISION],
    )
    return [row[0] for row in cursor.fetchall()]


def _note_merged(cursor, batch, *, actor, now):
    """A staff note on each filed claim merged into the batch: its decision pays at least this amount."""
    q = _sql()
    text, params = _concat(
        [
            (False, _("Proactive batch %(batch)s computed ") % {"batch": batch.pk}),
            (True, q["krw"]("l.amount_krw")),
            (False, _(" KRW for this account from the exchange's records; the decision pays the larger amount, once.")),
        ]
    )
    _execute_insert(
        cursor,
        ClaimEvent,
        f"INSERT INTO {_t(ClaimEvent)} (claim_id, kind, from_state, to_state, actor_id, reason, "
        f"visible_to_claimant, data, created_at) SELECT l.filed_claim_id, %s, '', '', %s, {text}, {q['false']}, "
        f"{_json_param()}, %s FROM {_t(BatchLine)} l WHERE l.batch_id = %s AND l.outcome = %s",
        [
            ClaimEvent.Kind.NOTE,
            actor.pk,
            *params,
            json.dumps({"batch": batch.pk, "proactive_floor": True}),
            now,
            batch.pk,
            LineOutcome.FILED_CLAIM,
        ],
    )
