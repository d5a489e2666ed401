"""The exchange's order log finds the users hit: import it, invite them, fill their form, show reviewers."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from compensation import services
from compensation.models import AffectedOrder, Notification
from compensation.notifications.outbox import render
from incidents.errors import DomainError
from tests.compensation.portal import client_for, new_claim_url
from tests.factories import ComplianceFactory

KST = ZoneInfo("Asia/Seoul")


def order_log(world):
    return f"""order_id,email,asset,side,quantity,price_krw,attempted_at,error
O-1,{world.claimant.email.upper()},btc,buy,0.01,"100,000,000",2025-01-20 09:41:07,E503 timeout
O-2,{world.claimant.email},ETH,sell,1.5,5000000,2025-01-20 09:50,
O-3,stranger@example.com,BTC,buy,0.2,100100000,2025-01-20T01:00:00+00:00,rejected
O-4,{world.other_user.email},XRP,buy,100,900,2025-01-20 10:10,
"""


def import_orders(world, text=None, actor=None):
    with translation.override("en"):
        return services.affected_orders_import(
            incident=world.incident,
            actor=actor or world.supervisor,
            csv_text=text if text is not None else order_log(world),
        )


def test_the_log_is_imported_in_kst_with_emails_in_lower_case(world):
    result = import_orders(world)
    assert (result.added, result.unchanged, result.errors) == (4, 0, [])
    first = AffectedOrder.objects.get(order_ref="O-1")
    assert first.email == world.claimant.email.lower() and first.asset == "BTC"
    assert first.quantity == Decimal("0.01") and first.price_krw == 100_000_000
    assert first.attempted_at == datetime(2025, 1, 20, 9, 41, 7, tzinfo=KST)
    assert AffectedOrder.objects.get(order_ref="O-3").attempted_at == datetime(2025, 1, 20, 10, 0, tzinfo=KST)
    again = import_orders(world)
    assert (again.added, again.unchanged, again.errors) == (0, 4, [])


def test_bad_rows_are_named_by_line_and_nothing_is_imported(world):
    text = order_log(world) + (
        "O-5,not-an-email,BTC,buy,1,1,2025-01-20 10:00,\n"
        "O-6,a@example.com,BTC,hold,1,1,2025-01-20 10:00,\n"
        "O-7,a@example.com,BTC,buy,-1,1,2025-01-20 10:00,\n"
        "O-1,a@example.com,BTC,buy,1,1,2025-01-20 10:00,\n"
    )
    result = import_orders(world, text)
    assert [line for line, _message in result.errors] == [6, 7, 8, 9]
    assert "not an email" in result.errors[0][1] and "buy or sell" in result.errors[1][1]
    assert "quantity" in result.errors[2][1] and "line 2" in result.errors[3][1]
    assert not AffectedOrder.objects.exists()


def test_a_large_log_is_checked_against_what_is_recorded_in_chunks(world, monkeypatch):
    from compensation.services.imports import orders as affected_orders

    monkeypatch.setattr(affected_orders, "LOOKUP_CHUNK", 2)
    import_orders(world)
    result = import_orders(world, order_log(world) + "O-5,new@example.com,BTC,buy,1,1,2025-01-20 10:40,\n")
    assert (result.added, result.unchanged, result.errors) == (1, 4, [])


def test_a_recorded_order_is_never_changed(world):
    import_orders(world)
    changed = order_log(world).replace('"100,000,000"', "99000000")
    result = import_orders(world, changed)
    assert result.added == 0 and [line for line, _ in result.errors] == [2]
    assert AffectedOrder.objects.get(order_ref="O-1").price_krw == 100_000_000


def test_agents_cannot_import_or_invite(world):
    with pytest.raises(DomainError):
        import_orders(world, actor=world.agent)
    with pytest.raises(DomainError):
        services.affected_users_invite(incident=world.incident, actor=world.agent)


def test_each_address_without_a_claim_is_invited_once(world):
    import_orders(world)
    world.submit(actor=world.other_user)  # has a claim: not invited
    queued = services.affected_users_invite(incident=world.incident, actor=world.supervisor)
    mails = Notification.objects.filter(pk__in=queued).order_by("to_email")
    assert [m.to_email for m in mails] == sorted([world.claimant.email.lower(), "stranger@example.com"])
    mine = mails.get(to_email=world.claimant.email.lower())
    assert mine.recipient == world.claimant and mine.context["orders"] == 2
    assert mails.get(to_email="stranger@example.com").recipient is None
    body = render(mine).body_text
    assert "주문 2건" in body and "2025년 1월 20일 09:41 ~ 09:50" in body and "2025년 2월 20일 23:59" in body
    assert f"/claims/new/?incident={world.incident.pk}" in body and "Sign in and the claim form" in body
    stranger = render(mails.get(to_email="stranger@example.com")).body_text
    assert "Sign up with this email address" in stranger
    # Run again: nothing new; a newly imported address is invited next time.
    assert services.affected_users_invite(incident=world.incident, actor=world.supervisor) == []
    import_orders(
        world,
        "order_id,email,asset,side,quantity,price_krw,attempted_at\n"
        "O-9,late@example.com,BTC,buy,1,1,2025-01-20 10:30\n",
    )
    again = services.affected_users_invite(incident=world.incident, actor=ComplianceFactory())
    assert [Notification.objects.get(pk=pk).to_email for pk in again] == ["late@example.com"]


def test_invitations_stop_when_intake_closes(world, at):
    import_orders(world)
    at(2025, 2, 21, 9)
    with pytest.raises(DomainError) as refused:
        services.affected_users_invite(incident=world.incident, actor=world.supervisor)
    assert refused.value.code == "intake_closed"


def test_a_long_address_gets_a_key_that_fits(world):
    long_email = "a" * 60 + "@" + "b" * 60 + ".example.com"
    import_orders(
        world,
        f"order_id,email,asset,side,quantity,price_krw,attempted_at\nO-1,{long_email},BTC,buy,1,1,2025-01-20 10:30\n",
    )
    [pk] = services.affected_users_invite(incident=world.incident, actor=world.supervisor)
    assert len(Notification.objects.get(pk=pk).key) <= 200


# --- the claimant's form ---------------------------------------------------------------------
def test_the_form_offers_the_users_failed_orders_and_fills_one_in(world):
    import_orders(world)
    client = client_for(world.claimant)
    page = client.get(new_claim_url(world.incident, world.policy))
    text = page.content.decode()
    mine = AffectedOrder.objects.get(order_ref="O-1")
    assert f"order={mine.pk}" in text and "2025-01-20 09:41" in text
    assert "stranger" not in text and f"order={AffectedOrder.objects.get(order_ref='O-3').pk}" not in text
    chosen = client.get(new_claim_url(world.incident, world.policy) + f"&order={mine.pk}")
    form = chosen.context["form"]
    assert form["asset"].value() == "BTC" and form["side"].value() == "buy"
    assert form["quantity"].value() == "0.01" and form["intended_price_krw"].value() == 100_000_000
    assert 'value="2025-01-20T09:41"' in chosen.content.decode()
    assert "filled in below" in chosen.content.decode()


def test_someone_elses_order_is_a_404(world):
    import_orders(world)
    stranger_order = AffectedOrder.objects.get(order_ref="O-3")
    client = client_for(world.other_user)
    assert client.get(new_claim_url(world.incident, world.policy) + f"&order={stranger_order.pk}").status_code == 404
    assert client.get(new_claim_url(world.incident, world.policy) + "&order=x").status_code == 404


# --- staff pages -----------------------------------------------------------------------------
def test_the_case_page_shows_the_claimants_failed_orders(world):
    import_orders(world)
    claim = world.submit()
    page = client_for(world.agent).get(reverse("admin:compensation_claim_change", args=[claim.pk])).content.decode()
    assert "O-1" in page and "O-2" in page and "E503 timeout" in page
    assert "O-3" not in page


def test_supervisor_imports_and_invites_from_the_admin(world):
    client = client_for(world.supervisor)
    url = reverse("admin:compensation_affected_orders", args=[world.incident.pk])
    response = client.post(
        url, {"action": "import", "file": SimpleUploadedFile("orders.csv", order_log(world).encode())}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "O-4" in page and "Invite affected users" in page
    response = client.post(url, {"action": "invite"}, follow=True)
    assert any("3 invitations queued" in str(m) for m in response.context["messages"])
    assert Notification.objects.filter(kind="claim_invitation").count() == 3


def test_agents_may_look_but_not_import(world):
    import_orders(world)
    client = client_for(world.agent)
    url = reverse("admin:compensation_affected_orders", args=[world.incident.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(url, {"action": "invite"}).status_code == 403
    assert not Notification.objects.filter(kind="claim_invitation").exists()


def test_a_bad_upload_keeps_nothing_and_shows_the_lines(world):
    client = client_for(world.supervisor)
    url = reverse("admin:compensation_affected_orders", args=[world.incident.pk])
    bad = order_log(world) + "O-5,nope,BTC,buy,1,1,2025-01-20 10:00,\n"
    response = client.post(url, {"action": "import", "file": SimpleUploadedFile("o.csv", bad.encode())})
    assert response.status_code == 200 and "Line 6" in response.content.decode()
    assert not AffectedOrder.objects.exists()


def test_an_upload_above_the_size_limit_is_refused_before_reading(world, settings):
    settings.COMPENSATION_IMPORT_MAX_MB = 1
    client = client_for(world.supervisor)
    url = reverse("admin:compensation_affected_orders", args=[world.incident.pk])
    big = order_log(world).encode() + b"#" * (1024 * 1024)
    response = client.post(url, {"action": "import", "file": SimpleUploadedFile("big.csv", big)})
    assert response.status_code == 200
    assert "at most 1 MB" in response.content.decode()
    assert not AffectedOrder.objects.exists()


def test_my_claims_points_out_incidents_the_log_says_i_may_claim_for(world, at):
    import_orders(world)
    page = client_for(world.claimant).get(reverse("compensation:claim_list")).content.decode()
    assert "You may claim compensation" in page and world.incident.title in page
    assert "2 orders of yours failing" in page and new_claim_url(world.incident).replace("&", "&amp;") in page
    world.submit()  # filed: no longer pointed out
    page = client_for(world.claimant).get(reverse("compensation:claim_list")).content.decode()
    assert "You may claim compensation" not in page
    stranger = client_for(world.agent2).get(reverse("compensation:claim_list")).content.decode()
    assert "You may claim compensation" not in stranger
    at(2025, 2, 21, 9)  # intake closed
    page = client_for(world.other_user).get(reverse("compensation:claim_list")).content.decode()
    assert "You may claim compensation" not in page
