"""A NUL character anywhere in a request is a 400, never a query: PostgreSQL refuses NUL in text.

Found by fuzzing: forms refuse NUL in their own fields, but values that reach the database without
a form (an admin search, a list filter, a reason posted to a batch, the exchange account id, the
session cookie) raised DataError, a 500, on PostgreSQL.
"""

import pytest
from django.urls import reverse

from compensation.models import Claim
from tests.compensation.portal import client_for

NUL = "\x00"


@pytest.mark.parametrize(
    "url, query",
    [
        ("admin:compensation_claim_changelist", {"q": f"C-{NUL}"}),
        ("admin:compensation_claim_changelist", {"state__exact": NUL}),
        ("admin:incidents_incident_changelist", {"q": NUL}),
        ("admin:auth_user_changelist", {"q": NUL}),
        ("compensation:claim_list", {"page": NUL}),
    ],
)
def test_nul_in_a_query_string_is_a_bad_request(world, url, query):
    world.supervisor.is_superuser = True
    world.supervisor.save()
    response = client_for(world.supervisor).get(reverse(url), query)
    assert response.status_code == 400


def test_nul_in_a_posted_field_is_a_bad_request_and_changes_nothing(world):
    client = client_for(world.claimant)
    response = client.post(reverse("compensation:exchange_account"), {"account_id": f"UID{NUL}1"})
    assert response.status_code == 400
    response = client.post(
        reverse("compensation:claim_new") + f"?incident={world.incident.pk}&policy={world.policy.pk}",
        {"description": f"a{NUL}b", "amount_claimed_krw": "1000"},
    )
    assert response.status_code == 400
    assert not Claim.objects.exists()


def test_nul_in_the_path_is_a_bad_request(world):
    response = client_for(world.supervisor).get(f"/admin/compensation/claim/1{NUL}/change/")
    assert response.status_code == 400


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "django_language", "messages"])
def test_a_cookie_with_nul_is_ignored_not_a_server_error(world, client, cookie):
    # A quoted cookie value may carry an octal escape, which Django's cookie parser turns into NUL.
    client.cookies.load(f'{cookie}="abcdefghij\\000klm"')
    assert client.cookies[cookie].value == f"abcdefghij{NUL}klm"
    for url in ("/", reverse("account_login"), reverse("compensation:claim_list")):
        assert client.get(url).status_code in (200, 302)
