import csv
import io
import re
from datetime import date

import pytest
from django.urls import reverse

from compensation import services
from compensation.models import Claim, ClaimState, Payment
from tests.factories import UserFactory


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def change_url(claim):
    return reverse("admin:compensation_claim_change", args=[claim.pk])


def action_url(claim, name):
    return reverse("admin:compensation_claim_action", args=[claim.pk, name])


def test_agent_lands_on_own_queue(world, login):
    client = login(world.agent)
    response = client.get(reverse("admin:compensation_claim_changelist"))
    assert response.status_code == 302 and response["Location"].endswith("?queue=mine")


def test_claim_list_query_count_does_not_grow_with_rows(world, login, django_assert_max_num_queries):
    users = UserFactory.create_batch(40)
    for user in users:
        world.submit(actor=user)
    client = login(world.supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:compensation_claim_changelist") + "?queue=all")
    assert response.status_code == 200
    assert response.content.decode().count("C-2025-") >= 40


def test_overdue_and_due_soon_filters(world, login, at):
    early = world.submit()
    at(2025, 2, 12, 10)
    late = world.submit(actor=world.other_user)
    at(2025, 2, 19, 10)  # early was due 2025-02-18; late is due 2025-03-06
    client = login(world.supervisor)
    overdue = client.get(reverse("admin:compensation_claim_changelist") + "?queue=all&deadline=overdue")
    body = overdue.content.decode()
    assert early.number in body and late.number not in body
    # The filter sidebar always says "overdue": look at the claim's own row, where the marker is red.
    assert OVERDUE_MARK in _row(body, early.number)
    all_claims = client.get(reverse("admin:compensation_claim_changelist") + "?queue=all").content.decode()
    assert OVERDUE_MARK in _row(all_claims, early.number)
    assert OVERDUE_MARK not in _row(all_claims, late.number)


OVERDUE_MARK = '<strong style="color:#b42318">'


def _row(page, number):
    """The changelist row (<tr>…</tr>) that shows claim `number`."""
    at = page.index(number)
    return page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]


def test_case_page_shows_only_allowed_buttons(world, login):
    claim = world.submit()
    page = login(world.agent).get(change_url(claim)).content.decode()
    assert action_url(claim, "start_review") in page
    assert action_url(claim, "decide") not in page
    assert action_url(claim, "approve") not in page
    # The deadline explains itself: every business day counted up to the 15th, which is the due date
    # (the page's fixed "15 business days" label would match a bare "15").
    due = claim.review_due_on
    assert "1/31 (3)" in page and f"{due.month}/{due.day} (15)" in page


def test_agent_decides_through_the_admin_form(world, login):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    client = login(world.agent)
    response = client.post(
        action_url(claim, "decide"),
        {"approved": "yes", "amount_krw": "120000", "reasons": "차액 보상", "pay_on": "2025-02-25"},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.DECIDED
    assert claim.decisions.get().decided_by == world.agent


def test_refused_decision_keeps_what_was_typed(world, login):
    claim = world.claim_in(ClaimState.IN_REVIEW)
    response = login(world.agent).post(
        action_url(claim, "decide"), {"approved": "yes", "amount_krw": "9000000", "reasons": "특별 산정 사유"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "9000000" in body and "특별 산정 사유" in body
    assert "5,000,000" in body  # the cap is named in the refusal
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.IN_REVIEW


def test_four_eyes_in_the_admin(world, login):
    claim = world.claim_in(ClaimState.AWAITING_APPROVAL)  # decided by world.supervisor
    page = login(world.supervisor).get(change_url(claim)).content.decode()
    assert action_url(claim, "approve") not in page
    blocked = login(world.supervisor).post(action_url(claim, "approve"), {"reason": ""})
    assert blocked.status_code == 302
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.AWAITING_APPROVAL
    client = login(world.supervisor2)
    assert action_url(claim, "approve") in client.get(change_url(claim)).content.decode()
    client.post(action_url(claim, "approve"), {"reason": "확인"})
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED


def test_admin_cannot_delete_claims(world, login):
    claim = world.submit()
    client = login(world.supervisor)
    response = client.get(reverse("admin:compensation_claim_delete", args=[claim.pk]))
    assert response.status_code in (302, 403)
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_claimant_without_role_cannot_open_the_workspace(world, login):
    world.claimant.is_staff = True
    world.claimant.save()
    response = login(world.claimant).get(reverse("admin:compensation_claim_changelist") + "?queue=all")
    assert response.status_code == 403


def test_unpaid_export_and_payment_import(world, login):
    claim = world.claim_in(ClaimState.ACCEPTED)
    client = login(world.supervisor)
    export = b"".join(client.get(reverse("admin:compensation_unpaid_csv")).streaming_content).decode()
    assert claim.number in export and "200000" in export

    bad = (
        f"claim_number,amount_krw,method,reference,paid_at\n"
        f"{claim.number},150000,bank_transfer,REF-1,2025-01-23T10:00\n"
        f"{claim.number},60000,bank_transfer,REF-2,2025-01-23T10:00\n"
        f"C-0000-000000,1,bank_transfer,REF-3,\n"
    )
    result = services.payments_import(actor=world.supervisor, csv_text=bad)
    assert [line for line, _ in result.errors] == [3, 4]
    assert not Payment.objects.exists()

    good = (
        f"claim_number,amount_krw,method,reference,paid_at\n"
        f"{claim.number},150000,bank_transfer,REF-1,2025-01-23T10:00\n"
        f"{claim.number},50000,bank_transfer,REF-2,\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("admin:compensation_payment_import"), {"file": SimpleUploadedFile("p.csv", good.encode())}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID


def test_incident_dashboard_counts_on_time_decisions(world, login, at):
    claim = world.claim_in(ClaimState.DECIDED)
    client = login(world.supervisor)
    page = client.get(reverse("admin:compensation_incident_dashboard", args=[world.incident.pk])).content.decode()
    table = page[page.index('id="dashboard-sla"') : page.index("</table>", page.index('id="dashboard-sla"'))]
    first_decisions = table.split("<tr>")[2]  # after the head row
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', first_decisions)
    assert cells == ["1", "1", "0", "0", "0", "100.0%"]  # decided, on time, extended, late, open overdue, %
    sla = client.get(reverse("admin:compensation_sla")).content.decode()
    assert world.incident.title in sla
    register = b"".join(client.get(reverse("admin:compensation_register_csv")).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(register.lstrip("\ufeff"))))
    assert [(row["number"], row["decision"], row["amount_decided_krw"]) for row in rows] == [
        (claim.number, "approved", str(claim.decisions.get().amount_krw))
    ]


def test_business_days_left_counts_only_business_days(world):
    from compensation.selectors.queues import business_days_left

    assert business_days_left(date(2025, 1, 31), date(2025, 1, 24)) == 1
    assert business_days_left(date(2025, 1, 24), date(2025, 1, 31)) == -1


def test_claim_history_is_readable_but_cannot_be_reverted(world, login):
    claim = world.claim_in(ClaimState.DECIDED)
    client = login(world.supervisor)
    history = client.get(reverse("admin:compensation_claim_history", args=[claim.pk]))
    assert history.status_code == 200
    record = claim.history.order_by("history_id").first()
    revert = client.post(reverse("admin:compensation_claim_simple_history", args=[claim.pk, record.history_id]))
    assert revert.status_code in (200, 302, 403)
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED


def test_a_supervisor_refuses_a_waiting_correction_from_the_case_page(world, login, settings):
    claim = world.claim_in(ClaimState.PAID)
    settings.COMPENSATION_FOUR_EYES_LIMIT_KRW = 10_000
    pending = services.decision_correct(claim=claim, actor=world.supervisor, amount_krw=250_000, reasons="재산정")
    client = login(world.supervisor2)
    assert action_url(claim, "refuse_correction") in client.get(change_url(claim)).content.decode()
    refused = client.post(action_url(claim, "refuse_correction"), {"reason": ""})
    assert refused.status_code == 200  # the form again, with its error; nothing changed
    pending.refresh_from_db()
    assert pending.status == "pending_approval"
    client.post(action_url(claim, "refuse_correction"), {"reason": "증빙 불충분"})
    pending.refresh_from_db()
    assert pending.status == "sent_back"
    assert claim.events.filter(reason="증빙 불충분", actor=world.supervisor2).exists()
    assert action_url(claim, "refuse_correction") not in client.get(change_url(claim)).content.decode()
