"""The claim form during an outage: its shared parts (terms, damage-type cards, empty fields) come
from the cache; what is the user's own (CSRF token, idempotency key, "you already filed", their
failing orders, the menu) is never cached (compensation/selectors/claim_form_cache.py)."""

import re

from compensation.models import ClaimIntent
from compensation.selectors.claim_form_cache import shared_parts
from tests.compensation.factories import RequiredDocumentFactory
from tests.compensation.portal import client_for, new_claim_url

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def test_the_shared_parts_carry_nothing_of_one_user(world):
    first = client_for(world.claimant).get(new_claim_url(world.incident, world.policy)).content.decode()
    second = client_for(world.other_user).get(new_claim_url(world.incident, world.policy)).content.decode()

    parts = shared_parts(incident_pk=world.incident.pk, policy_pk=world.policy.pk)
    shared = parts["terms_html"] + parts["fields_html"]
    assert world.policy.criteria in shared and 'name="amount_claimed_krw"' in shared
    assert "csrfmiddlewaretoken" not in shared and "idempotency_key" not in shared
    assert world.claimant.email not in shared
    # Each user gets their own token and key around the same shared parts.
    first_tokens, second_tokens = set(TOKEN.findall(first)), set(TOKEN.findall(second))
    assert first_tokens and second_tokens and first_tokens.isdisjoint(second_tokens)
    assert KEY.findall(first) != KEY.findall(second)
    assert 'name="amount_claimed_krw"' in second and world.policy.criteria in second
    assert ClaimIntent.objects.filter(incident=world.incident).count() == 2


def test_a_warm_form_page_reads_only_what_is_the_users(world, django_assert_max_num_queries):
    client_for(world.other_user).get(new_claim_url(world.incident, world.policy))
    client = client_for(world.claimant)
    # Session, user, the claim-intent row, "already filed?", the user's failing orders.
    with django_assert_max_num_queries(5):
        page = client.get(new_claim_url(world.incident, world.policy))
    assert page.status_code == 200 and KEY.search(page.content.decode())


def test_a_document_added_to_the_policy_shows_at_once(world):
    client = client_for(world.claimant)
    client.get(new_claim_url(world.incident, world.policy))
    requirement = RequiredDocumentFactory(policy=world.policy, name="Bank statement of the day")
    page = client.get(new_claim_url(world.incident, world.policy)).content.decode()
    assert "Bank statement of the day" in page and f'name="doc_{requirement.pk}"' in page


def test_a_user_who_already_filed_is_told_so_even_with_the_form_shared(world):
    client_for(world.other_user).get(new_claim_url(world.incident, world.policy))
    claim = world.submit()
    page = client_for(world.claimant).get(new_claim_url(world.incident, world.policy)).content.decode()
    assert claim.number in page and 'name="amount_claimed_krw"' not in page


def test_a_warm_submit_writes_the_claim_and_reads_nothing_else(world, django_assert_max_num_queries):
    """The hot path of an outage: the incident, the terms in force and the policy come from the
    per-process caches; the submit is the session, the user and one transaction of four rows
    (claim, document, event, outbox) — on PostgreSQL the claim's id is reserved in the same
    transaction so its number goes into the INSERT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compensation.models import Claim
    from tests.compensation.portal import claim_form

    client_for(world.other_user).post(new_claim_url(world.incident, world.policy), claim_form(world.policy))
    client, data = client_for(world.claimant), claim_form(world.policy)
    with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
        response = client.post(new_claim_url(world.incident, world.policy), data)
    claim = Claim.objects.get(claimant=world.claimant)
    assert response.status_code == 302 and response["Location"].endswith(f"/claims/{claim.pk}/")
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    inserts = [q["sql"].split()[2].strip('"') for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert sorted(inserts) == sorted(
        ["compensation_claim", "compensation_claimdocument", "compensation_claimevent", "compensation_notification"]
    )
    # Reads: the session and the user; nothing about the incident, the policy or the terms.
    sql = [q["sql"] for q in queries.captured_queries]
    selects = [text for text in sql if text.startswith("SELECT") and "nextval" not in text]
    assert len(selects) <= 2, [s[s.index("FROM") :][:80] for s in selects]
    assert statements.count("UPDATE") <= (0 if connection.vendor == "postgresql" else 1)
