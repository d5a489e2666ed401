"""The policy's suggested amount for a claim, from the exchange's own data; staff decide the final one.

Formulas (README "Amounts"), each capped at the cap of the terms the claim is assessed under:

- price difference pays only the move against the user:
  BUY  → max(0, executable − intended) × quantity  (the user had to buy dearer)
  SELL → max(0, intended − executable) × quantity  (the user could only sell cheaper)
- fixed amount → the terms' fixed amount
- fee refund → the fees the failure charged
- interest → delayed amount × annual rate × days delayed / 365

Rounding: every amount is computed exactly in Decimal and rounded once, at the end, down to
whole KRW (원 미만 절사); the cap applies to the rounded amount.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from compensation.models import Method, TradeSide
from compensation.selectors.terms import applied_terms


@dataclass(frozen=True)
class Suggestion:
    amount_krw: int | None  # None: the policy or the data cannot size it; staff assess by hand
    uncapped_krw: int | None
    explanation: str
    terms: object = None  # the AppliedTerms used

    @property
    def capped(self):
        return self.amount_krw is not None and self.uncapped_krw != self.amount_krw


def _krw(value):
    """Whole KRW, fractions cut off (원 미만 절사)."""
    return int(Decimal(value).to_integral_value(rounding=ROUND_DOWN))


def _money(value):
    return f"{value:,}"


def _qty(value):
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def _price_difference(claim):
    if claim.intended_price_krw is None or claim.reference_price_krw is None or claim.quantity is None:
        return None, _("Needs the intended price, the executable price and the quantity.")
    if claim.side not in TradeSide.values:
        return None, _("Needs the side of the order (buy or sell).")
    intended, executable = Decimal(claim.intended_price_krw), Decimal(claim.reference_price_krw)
    quantity = Decimal(str(claim.quantity))
    values = {
        "intended": _money(claim.intended_price_krw),
        "executable": _money(claim.reference_price_krw),
        "qty": _qty(claim.quantity),
    }
    if claim.side == TradeSide.BUY:
        raw = _krw(max(Decimal(0), executable - intended) * quantity)
        text = _("BUY: max(0, executable %(executable)s − intended %(intended)s) × %(qty)s") % values
    else:
        raw = _krw(max(Decimal(0), intended - executable) * quantity)
        text = _("SELL: max(0, intended %(intended)s − executable %(executable)s) × %(qty)s") % values
    return raw, text


def suggest_amount(claim):
    """What the terms the claim is assessed under pay for it, with the formula spelled out."""
    terms = applied_terms(claim)
    method = terms.method
    if method == Method.PRICE_DIFFERENCE:
        raw, text = _price_difference(claim)
        if raw is None:
            return Suggestion(None, None, text)
    elif method == Method.FIXED_AMOUNT:
        if terms.fixed_amount_krw is None:
            return Suggestion(None, None, _("The policy has no fixed amount."))
        raw = terms.fixed_amount_krw
        text = _("fixed amount of the policy")
    elif method == Method.FEE_REFUND:
        if claim.fee_krw is None:
            return Suggestion(None, None, _("Needs the fees charged."))
        raw = claim.fee_krw
        text = _("refund of %(fee)s KRW fees") % {"fee": _money(claim.fee_krw)}
    elif method == Method.INTEREST:
        if None in (claim.delayed_amount_krw, claim.delay_days, terms.annual_interest_rate_bp):
            return Suggestion(None, None, _("Needs the delayed amount, the days delayed and the policy's rate."))
        raw = _krw(
            Decimal(claim.delayed_amount_krw)
            * Decimal(terms.annual_interest_rate_bp)
            / Decimal(10_000)
            * Decimal(claim.delay_days)
            / Decimal(365)
        )
        text = _("%(amount)s × %(rate)s%% × %(days)d/365 days") % {
            "amount": _money(claim.delayed_amount_krw),
            "rate": f"{terms.annual_interest_rate_bp / 100:.2f}",
            "days": claim.delay_days,
        }
    else:
        return Suggestion(None, None, _("Assessed case by case."))
    cap = terms.cap_krw
    amount = min(raw, cap)
    if amount != raw:
        text += " " + _("(capped at %(cap)s KRW)") % {"cap": _money(cap)}
    return Suggestion(amount, raw, f"{text} = {amount:,} KRW", terms)
