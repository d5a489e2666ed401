"""Users who opened the claim form but filed nothing hear that intake closes soon; once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compensation.models import ClaimIntent, Notification
from compensation.notifications.outbox import render
from compensation.notifications.reminders import remind_intake_closing


def open_form(client, user, incident):
    client.force_login(user)
    assert client.get(reverse("compensation:claim_new") + f"?incident={incident.pk}").status_code == 200


def test_opening_the_form_records_the_intent_once(world, client):
    open_form(client, world.claimant, world.incident)
    open_form(client, world.claimant, world.incident)
    assert ClaimIntent.objects.filter(user=world.claimant, incident=world.incident).count() == 1


def test_reminder_at_three_business_days_only_to_users_without_a_claim(world, client, at):
    open_form(client, world.claimant, world.incident)
    open_form(client, world.other_user, world.incident)
    world.submit(actor=world.other_user)  # filed: no reminder
    at(2025, 2, 14, 10)  # intake ends Thu 2025-02-20: 4 business days ahead, too early
    assert remind_intake_closing() == []
    at(2025, 2, 17, 10)  # Mon: 2/20 is 3 business days ahead
    created = remind_intake_closing()
    assert len(created) == 1
    mail = Notification.objects.get(pk=created[0])
    assert mail.to_email == world.claimant.email and mail.kind == "intake_closing"
    body = render(mail).body_text
    assert "2025년 2월 20일 23:59" in body and f"/claims/new/?incident={world.incident.pk}" in body
    at(2025, 2, 18, 10)
    assert remind_intake_closing() == []  # the unique key sends each reminder once


def test_no_reminder_after_intake_closed(world, client, at):
    open_form(client, world.claimant, world.incident)
    at(2025, 2, 21, 10)
    assert remind_intake_closing() == []


def test_addresses_in_the_order_log_without_a_claim_are_reminded_too(world, client, at):
    from compensation import services

    log = (
        "order_id,email,asset,side,quantity,price_krw,attempted_at\n"
        f"O-1,{world.claimant.email},BTC,buy,0.01,100000000,2025-01-20 09:40\n"
        f"O-2,{world.claimant.email},BTC,buy,0.02,100000000,2025-01-20 09:41\n"
        f"O-3,{world.other_user.email.upper()},BTC,buy,0.01,100000000,2025-01-20 09:42\n"
        "O-4,no.account@example.com,ETH,sell,1,5000000,2025-01-20 09:43\n"
        "O-5,no.account@example.com,ETH,sell,2,5000000,2025-01-20 09:44\n"
    )
    assert not services.affected_orders_import(incident=world.incident, actor=world.supervisor, csv_text=log).errors
    open_form(client, world.claimant, world.incident)  # covered by the form-intent reminder: one mail, not two
    world.submit(actor=world.other_user)  # filed: no reminder
    at(2025, 2, 17, 10)
    with CaptureQueriesContext(connection) as queries:
        created = remind_intake_closing()
    inserted = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(created) == 2 and sum(sql.count("intake_closing:") for sql in inserted) == 2  # one row each
    mails = {m.to_email: m for m in Notification.objects.filter(pk__in=created)}
    assert sorted(mails) == sorted([world.claimant.email, "no.account@example.com"])
    assert "You started a compensation claim" in render(mails[world.claimant.email]).body_text
    from_log = render(mails["no.account@example.com"]).body_text
    assert "주문이 처리되지 않았지만" in from_log and "The exchange's records show your order" in from_log
    assert "2025년 2월 20일 23:59" in from_log
    assert remind_intake_closing() == []
