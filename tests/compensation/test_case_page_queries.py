"""The staff case page reads through selectors: its query count does not grow with the claim's history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compensation.models import ClaimDocument, ClaimEvent, ClaimState, DocumentPurpose


@pytest.fixture
def case_page(client, world):
    client.force_login(world.supervisor2)

    def _get(claim):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:compensation_claim_change", args=[claim.pk]))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    return _get


def _grow(world, claim, n):
    """n more timeline rows (by different staff) and n more documents (each for a requirement)."""
    staff = [world.agent, world.agent2, world.supervisor]
    ClaimEvent.objects.bulk_create(
        ClaimEvent(claim=claim, kind=ClaimEvent.Kind.NOTE, actor=staff[i % 3], reason=f"메모 {i}") for i in range(n)
    )
    ClaimDocument.objects.bulk_create(
        ClaimDocument(
            claim=claim,
            requirement=world.requirement,
            purpose=DocumentPurpose.SUPPLEMENT,
            file=f"claims/test/{i}.pdf",
            original_name=f"추가서류-{i}.pdf",
            content_type="application/pdf",
            size=100,
            sha256="0" * 64,
            uploaded_by=world.claimant,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("state", [ClaimState.IN_REVIEW, ClaimState.PAID])
def test_case_page_query_count_is_the_same_for_one_or_many_events_and_documents(world, case_page, state):
    claim = world.claim_in(state)
    _grow(world, claim, 1)
    case_page(claim)  # warms the per-process caches (calendar, policies) a first request fills
    few, _page = case_page(claim)
    _grow(world, claim, 12)
    many, page = case_page(claim)
    assert "추가서류-11.pdf" in page and "메모 11" in page  # the rows added last are shown
    assert many == few
