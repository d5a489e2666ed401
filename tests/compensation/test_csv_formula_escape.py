"""Exports never hand a spreadsheet a formula: cells starting with = + - @ tab or CR come out as text."""

import csv
import io

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy

from compensation.models import Claim, ClaimState
from incidents.csv_safe import safe_cell
from incidents.models import Incident
from tests.compensation.portal import client_for
from tests.factories import UserFactory


def rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_every_formula_start_is_made_text_and_numbers_stay_numbers():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell(-5) == -5 and safe_cell("BTC") == "BTC" and safe_cell(None) is None


def test_unpaid_register_and_incident_exports_escape_claimant_and_staff_text(world):
    attacker = UserFactory(username="=1+1@example.com", email="=1+1@example.com")
    claim = world.claim_in(ClaimState.ACCEPTED, claimant=attacker)
    Claim.objects.filter(pk=claim.pk).update(payout_account='=HYPERLINK("http://evil.example","x")')
    Incident.objects.filter(pk=world.incident.pk).update(title="@SUM(A1)", root_cause="-2+3", actions_taken="+cmd")
    client = client_for(world.supervisor)

    unpaid = rows(client.get(reverse("admin:compensation_unpaid_csv")))
    line = next(r for r in unpaid if r[0] == claim.number)
    assert "'=1+1@example.com" in line and '\'=HYPERLINK("http://evil.example","x")' in line

    register = rows(client.get(reverse("admin:compensation_register_csv")))
    line = next(r for r in register if r[0] == claim.number)
    assert "'=1+1@example.com" in line and "'@SUM(A1)" in line

    incidents = rows(client.get(reverse("admin:compensation_incident_register_csv")))
    cells = [cell for row in incidents[1:] for cell in row]
    assert "'@SUM(A1)" in cells and "'-2+3" in cells and "'+cmd" in cells
    for row in unpaid + register + incidents:
        assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in row if cell), row
    assert get_user_model().objects.filter(email="=1+1@example.com").exists()


def test_a_cell_that_is_not_a_string_is_escaped_by_the_text_it_becomes():
    # csv writes str(value): a user whose name is their sign-up email, a lazy translation, any object.
    class Named:
        def __str__(self):
            return '=HYPERLINK("http://evil.example","x")'

    user = get_user_model()(username="=1+1@example.com")
    assert safe_cell(Named()) == '\'=HYPERLINK("http://evil.example","x")'
    assert safe_cell(user) == "'=1+1@example.com"
    assert safe_cell(gettext_lazy("-x")) == "'-x"
    assert [safe_cell(v) for v in (None, -5, 1.5, True)] == [None, -5, 1.5, True]
