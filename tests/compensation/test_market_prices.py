"""The exchange's own prices size price-difference claims: import them, then fill executable prices."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from compensation import services
from compensation.models import Claim, ClaimEvent, ClaimState, MarketPrice
from compensation.services.assessment import suggest_amount
from incidents.errors import DomainError
from tests.compensation.factories import PolicyFactory
from tests.factories import ComplianceFactory, UserFactory

KST = ZoneInfo("Asia/Seoul")
# The world's incident ran 2025-01-20 09:00–11:00 KST; trading came back at 11:00.
PRICES = """asset,traded_at,price_krw
BTC,2025-01-20 10:59:30,101000000
BTC,2025-01-20 11:00:05,102500000
BTC,2025-01-20 11:01:00,"103,000,000"
ETH,2025-01-20T02:00:10+00:00,4950000
"""


def import_prices(world, text=PRICES, actor=None):
    with translation.override("en"):  # the messages are asserted in English
        return services.market_prices_import(incident=world.incident, actor=actor or world.supervisor, csv_text=text)


def test_prices_are_imported_in_kst_and_a_second_import_changes_nothing(world):
    result = import_prices(world)
    assert (result.added, result.unchanged, result.errors) == (4, 0, [])
    btc = MarketPrice.objects.get(asset="BTC", price_krw=102_500_000)
    assert btc.at == datetime(2025, 1, 20, 11, 0, 5, tzinfo=KST)
    assert btc.imported_by == world.supervisor
    assert MarketPrice.objects.get(asset="ETH").at == datetime(2025, 1, 20, 11, 0, 10, tzinfo=KST)
    again = import_prices(world)
    assert (again.added, again.unchanged, again.errors) == (0, 4, [])
    assert MarketPrice.objects.count() == 4


def test_a_file_with_bad_rows_imports_nothing_and_names_each_line(world):
    text = PRICES + "BTC,yesterday,1\n,2025-01-20 11:02,5\nXRP,2025-01-20 11:02,0\nETH,2025-01-20 11:00:10,4960000\n"
    result = import_prices(world, text)
    assert result.added == 0
    assert [line for line, _message in result.errors] == [6, 7, 8, 9]
    assert "traded_at" in result.errors[0][1] and "another price" in result.errors[3][1]
    assert not MarketPrice.objects.exists()


def test_a_recorded_price_is_never_changed(world):
    import_prices(world)
    result = import_prices(world, "asset,traded_at,price_krw\nBTC,2025-01-20 11:00:05,1\nBTC,2025-01-20 11:05,2\n")
    assert result.added == 0
    assert result.errors == [(2, result.errors[0][1])] and "102,500,000" in result.errors[0][1]
    assert MarketPrice.objects.get(asset="BTC", at=datetime(2025, 1, 20, 11, 0, 5, tzinfo=KST)).price_krw == 102_500_000
    assert MarketPrice.objects.count() == 4


def test_missing_columns_and_empty_files_are_refused(world):
    assert import_prices(world, "asset,price_krw\nBTC,1\n").errors[0][0] == 1
    assert "no price rows" in import_prices(world, "asset,traded_at,price_krw\n").errors[0][1]


def test_agents_cannot_import_prices(world):
    with pytest.raises(DomainError) as refused:
        import_prices(world, actor=world.agent)
    assert refused.value.code == "forbidden"


def test_fill_gives_waiting_claims_the_first_price_after_recovery(world):
    import_prices(world)
    waiting = world.submit()  # BTC, buy 0.01 @ 100,000,000
    lower = world.submit(actor=world.other_user, asset="btc")  # typed in lower case
    priced = world.claim_in(ClaimState.IN_REVIEW, claimant=world.agent2)
    services.claim_record_assessment(claim=priced, actor=world.agent, reference_price_krw=99_000_000)
    decided = world.claim_in(ClaimState.DECIDED, claimant=world.supervisor2)
    doge = world.submit(actor=UserFactory(), asset="DOGE")

    result = services.claims_fill_executable_prices(incident=world.incident, actor=world.supervisor)

    assert [(asset, price.price_krw, n) for asset, price, n in result.filled] == [("BTC", 102_500_000, 2)]
    assert result.missing == [("DOGE", 1)]
    for claim in (waiting, lower):
        claim.refresh_from_db()
        assert claim.reference_price_krw == 102_500_000
        note = ClaimEvent.objects.get(claim=claim, kind=ClaimEvent.Kind.NOTE)
        assert "2025-01-20 11:00:05" in note.reason and not note.visible_to_claimant
        assert note.data["to"] == {"reference_price_krw": 102_500_000}
    # |100,000,000 − 102,500,000| × 0.01 = 25,000
    assert suggest_amount(waiting).amount_krw == 25_000
    assert Claim.objects.get(pk=priced.pk).reference_price_krw == 99_000_000
    assert Claim.objects.get(pk=decided.pk).reference_price_krw is None
    assert Claim.objects.get(pk=doge.pk).reference_price_krw is None
    again = services.claims_fill_executable_prices(incident=world.incident, actor=world.supervisor)
    assert again.filled == [] and again.missing == [("DOGE", 1)]


def test_fill_costs_the_same_queries_for_many_claims(world, django_assert_max_num_queries):
    import_prices(world)
    for user in UserFactory.create_batch(30):
        world.submit(actor=user)
    with django_assert_max_num_queries(8):
        result = services.claims_fill_executable_prices(incident=world.incident, actor=world.supervisor)
    assert result.filled[0][2] == 30


def test_fill_needs_the_incident_end_and_a_supervisor(world):
    with pytest.raises(DomainError) as refused:
        services.claims_fill_executable_prices(incident=world.incident, actor=world.agent)
    assert refused.value.code == "forbidden"
    world.incident.ended_at = None
    world.incident.save()
    with pytest.raises(DomainError) as refused:
        services.claims_fill_executable_prices(incident=world.incident, actor=world.supervisor)
    assert refused.value.code == "incident_ongoing"


def test_other_policies_are_not_filled(world):
    from compensation.models import Method

    import_prices(world)
    fixed = PolicyFactory(damage_type="other", name="정액", method=Method.FIXED_AMOUNT, fixed_amount_krw=10_000)
    claim = world.submit(policy=fixed, files=[])
    services.claims_fill_executable_prices(incident=world.incident, actor=world.supervisor)
    assert Claim.objects.get(pk=claim.pk).reference_price_krw is None


# --- the admin page ---------------------------------------------------------------------------
def prices_url(world):
    return reverse("admin:compensation_market_prices", args=[world.incident.pk])


def test_supervisor_imports_a_file_and_fills_prices_in_the_admin(world, client):
    claim = world.submit()
    client.force_login(world.supervisor)
    response = client.post(
        prices_url(world), {"action": "import", "file": SimpleUploadedFile("prices.csv", PRICES.encode())}
    )
    assert response.status_code == 302
    page = client.get(prices_url(world), headers={"accept-language": "en"}).content.decode()
    assert "102,500,000 KRW" in page and "Fill executable prices" in page
    case = client.get(
        reverse("admin:compensation_claim_change", args=[claim.pk]), headers={"accept-language": "en"}
    ).content.decode()
    assert "market data: 102,500,000 KRW" in case
    response = client.post(prices_url(world), {"action": "fill"}, follow=True, headers={"accept-language": "en"})
    assert any("1 claims given the executable price 102,500,000 KRW" in str(m) for m in response.context["messages"])
    assert Claim.objects.get(pk=claim.pk).reference_price_krw == 102_500_000


def test_a_bad_file_shows_its_lines_and_keeps_nothing(world, client):
    client.force_login(ComplianceFactory())
    bad = PRICES + "BTC,2025-01-20 11:02,-5\n"
    response = client.post(
        prices_url(world),
        {"action": "import", "file": SimpleUploadedFile("p.csv", bad.encode())},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert "Line 6" in response.content.decode()
    assert not MarketPrice.objects.exists()
    # Compliance imports but does not fill.
    assert "Fill executable prices" not in response.content.decode()
    assert client.post(prices_url(world), {"action": "fill"}).status_code == 403


def test_agents_see_the_prices_but_cannot_import(world, client):
    import_prices(world)
    client.force_login(world.agent)
    page = client.get(prices_url(world))
    assert page.status_code == 200 and page.context["form"] is None
    response = client.post(
        prices_url(world), {"action": "import", "file": SimpleUploadedFile("p.csv", PRICES.encode())}
    )
    assert response.status_code == 403
