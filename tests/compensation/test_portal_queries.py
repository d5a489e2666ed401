"""Issue 17: the portal reads only what there is to show (the "my claims" + claim page of the load test).

A fresh claim has no decision, objection or payment yet: its page does not query for them, and a
claimant with one page of claims gets the list without a COUNT. Where there is something, it shows.
"""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compensation.models import ClaimState
from tests.compensation.portal import client_for, detail_url


@pytest.fixture
def client(world):
    return client_for(world.claimant)


def tables_queried(queries):
    """The table each statement reads first (its own rows; EXISTS subqueries inside do not count)."""
    return {match.group(1) for q in queries if (match := re.match(r'SELECT "(\w+)"\.', q["sql"]))}


def text_of(response):
    return re.sub(r"<[^>]+>", " ", html.unescape(response.content.decode()))


def test_a_fresh_claims_page_does_not_look_for_decisions_objections_or_payments(world, client):
    claim = world.submit()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(claim))
    assert response.status_code == 200 and claim.number in response.content.decode()
    read = tables_queried(queries)
    assert {"compensation_claimdocument", "compensation_claimevent"} <= read
    assert not read & {"compensation_decision", "compensation_objection", "compensation_payment"}


def test_a_paid_claims_page_still_shows_its_decision_and_payment(world, client):
    claim = world.claim_in(ClaimState.PAID)
    text = text_of(client.get(detail_url(claim)))
    payment = claim.payments.get()
    assert payment.reference in text
    assert "200,000" in text or "200000" in text


def test_an_objected_claims_page_still_shows_the_objection(world, client):
    claim = world.claim_in(ClaimState.OBJECTED)
    objection = claim.objections.get()
    assert objection.reason in text_of(client.get(detail_url(claim)))


def test_one_page_of_claims_comes_without_a_count(world, client):
    claim = world.submit()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("compensation:claim_list"))
    assert claim.number in response.content.decode()
    assert not [q for q in queries if "COUNT(*)" in q["sql"] and '"compensation_claim"' in q["sql"]]
    assert response.context["page"].paginator.count == 1
