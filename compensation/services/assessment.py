"""The policy's suggested amount for a claim, from the exchange's own data; staff decide the final one."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from compensation.models import Method


@dataclass(frozen=True)
class Suggestion:
    amount_krw: int | None  # None: the policy or the data cannot size it; staff assess by hand
    uncapped_krw: int | None
    explanation: str

    @property
    def capped(self):
        return self.amount_krw is not None and self.uncapped_krw != self.amount_krw


def _krw(value):
    return int(Decimal(value).to_integral_value(rounding=ROUND_DOWN))


def suggest_amount(claim):
    policy = claim.policy
    method = policy.method
    if method == Method.PRICE_DIFFERENCE:
        if claim.intended_price_krw is None or claim.reference_price_krw is None or claim.quantity is None:
            return Suggestion(None, None, _("Needs the intended price, the executable price and the quantity."))
        raw = _krw(abs(Decimal(claim.intended_price_krw) - Decimal(claim.reference_price_krw)) * claim.quantity)
        text = _("|%(intended)s − %(reference)s| × %(qty)s") % {
            "intended": f"{claim.intended_price_krw:,}",
            "reference": f"{claim.reference_price_krw:,}",
            "qty": f"{claim.quantity.normalize():f}",
        }
    elif method == Method.FIXED_AMOUNT:
        if policy.fixed_amount_krw is None:
            return Suggestion(None, None, _("The policy has no fixed amount."))
        raw = policy.fixed_amount_krw
        text = _("fixed amount of the policy")
    elif method == Method.FEE_REFUND:
        if claim.fee_krw is None:
            return Suggestion(None, None, _("Needs the fees charged."))
        raw = claim.fee_krw
        text = _("refund of %(fee)s KRW fees") % {"fee": f"{claim.fee_krw:,}"}
    elif method == Method.INTEREST:
        if None in (claim.delayed_amount_krw, claim.delay_days, policy.annual_interest_rate_bp):
            return Suggestion(None, None, _("Needs the delayed amount, the days delayed and the policy's rate."))
        raw = _krw(
            Decimal(claim.delayed_amount_krw)
            * Decimal(policy.annual_interest_rate_bp)
            / Decimal(10_000)
            * Decimal(claim.delay_days)
            / Decimal(365)
        )
        text = _("%(amount)s × %(rate)s%% × %(days)d/365 days") % {
            "amount": f"{claim.delayed_amount_krw:,}",
            "rate": f"{policy.annual_interest_rate_bp / 100:.2f}",
            "days": claim.delay_days,
        }
    else:
        return Suggestion(None, None, _("Assessed case by case."))
    amount = min(raw, policy.cap_krw)
    if amount != raw:
        text += " " + _("(capped at %(cap)s KRW)") % {"cap": f"{policy.cap_krw:,}"}
    return Suggestion(amount, raw, f"{text} = {amount:,} KRW")
