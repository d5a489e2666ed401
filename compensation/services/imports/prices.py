"""The exchange's own trade prices, imported per incident, and the executable prices they give claims.

DAXA asks the exchange to size the damage from its internal data. For a price-difference policy
the executable price is the first recorded trade price of the asset at or after the service
recovered (the incident's end): the price the user could trade at again.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.formatting import kst
from compensation.models import Claim, ClaimEvent, MarketPrice
from compensation.selectors import claims_waiting_for_price, executable_price
from compensation.services.imports._csv import (
    RecordImportResult,
    add_all_or_none,
    cell,
    parse_asset,
    parse_kst_datetime,
    parse_positive_krw,
    parsed_lines,
)
from incidents import roles
from incidents.errors import DomainError, ErrorCode

COLUMNS = ("asset", "traded_at", "price_krw")
PRICE_IMPORTERS = (roles.SUPERVISOR, roles.COMPLIANCE)


def _parse_row(row):
    return (
        parse_asset(cell(row, "asset")),
        parse_kst_datetime(cell(row, "traded_at"), "traded_at"),
        parse_positive_krw(cell(row, "price_krw"), "price_krw"),
    )


def market_prices_import(*, incident, actor, csv_text):
    """Check every row first, then add them all or none. Re-importing the same file changes nothing."""
    roles.require_role(actor, *PRICE_IMPORTERS, action=_("import market prices"))
    result = RecordImportResult()
    planned = {}  # (asset, traded_at) -> (line, price)
    for line, (asset, traded_at, price) in parsed_lines(csv_text, COLUMNS, _parse_row, result):
        earlier = planned.get((asset, traded_at))
        if earlier is not None and earlier[1] != price:
            result.errors.append(
                (
                    line,
                    _("%(asset)s at %(at)s is on line %(other)d with another price.")
                    % {"asset": asset, "at": kst(traded_at, seconds=True), "other": earlier[0]},
                )
            )
            continue
        planned.setdefault((asset, traded_at), (line, price))
    if not planned and not result.errors:
        result.errors.append((1, _("The file has no price rows.")))
    if result.errors:
        return result
    moments = [at for _asset, at in planned]
    recorded = {
        (row.asset, row.at): row.price_krw
        for row in MarketPrice.objects.filter(
            incident=incident,
            asset__in={asset for asset, _at in planned},
            at__gte=min(moments),
            at__lte=max(moments),
        ).only("asset", "at", "price_krw")
    }
    new_rows = []
    for (asset, traded_at), (line, price) in planned.items():
        before = recorded.get((asset, traded_at))
        if before is None:
            new_rows.append(
                MarketPrice(incident=incident, asset=asset, at=traded_at, price_krw=price, imported_by=actor)
            )
        elif before == price:
            result.unchanged += 1
        else:
            result.errors.append(
                (
                    line,
                    _("%(asset)s at %(at)s is already recorded at %(before)s KRW; imported prices are never changed.")
                    % {"asset": asset, "at": kst(traded_at, seconds=True), "before": f"{before:,}"},
                )
            )
    return add_all_or_none(result, MarketPrice, new_rows)


@dataclass
class PriceFillResult:
    filled: list = field(default_factory=list)  # (asset, MarketPrice, number of claims)
    missing: list = field(default_factory=list)  # (asset, number of claims) with no price after recovery


def claims_fill_executable_prices(*, incident, actor):
    """Give every open price-difference claim of the incident that has none its executable price.

    Claims that already carry a price (recorded by hand or by an earlier run) are left alone, so
    running it again after more claims came in fills just those.
    """
    roles.require_role(actor, roles.SUPERVISOR, action=_("fill executable prices"))
    if incident.ended_at is None:
        raise DomainError(
            _("Record when the incident ended first: the executable price is the first price at or after recovery."),
            code=ErrorCode.INCIDENT_ONGOING,
        )
    result = PriceFillResult()
    now = timezone.now()
    with transaction.atomic():
        waiting = claims_waiting_for_price(incident).select_for_update().values_list("pk", "asset")
        by_asset = {}
        for pk, asset in waiting:
            by_asset.setdefault(asset.strip().upper(), []).append(pk)
        events = []
        for asset, pks in sorted(by_asset.items()):
            price = executable_price(incident, asset)
            if price is None:
                result.missing.append((asset, len(pks)))
                continue
            Claim.objects.filter(pk__in=pks).update(reference_price_krw=price.price_krw, updated_at=now)
            reason = _(
                "Executable price %(price)s KRW: first %(asset)s trade at or after recovery, %(at)s KST "
                "(imported market data)"
            ) % {"price": f"{price.price_krw:,}", "asset": asset, "at": kst(price.at, seconds=True)}
            events += [
                ClaimEvent(
                    claim_id=pk,
                    kind=ClaimEvent.Kind.NOTE,
                    actor=actor,
                    visible_to_claimant=False,
                    reason=reason,
                    created_at=now,
                    data={
                        "from": {"reference_price_krw": None},
                        "to": {"reference_price_krw": price.price_krw},
                        "market_price": price.pk,
                    },
                )
                for pk in pks
            ]
            result.filled.append((asset, price, len(pks)))
        ClaimEvent.objects.bulk_create(events, batch_size=1000)
    return result
