"""Issue #14: an agent's default queue holds the new claims nobody has taken, and says so."""

from django.test import Client
from django.urls import reverse

from compensation import services
from compensation.models import ClaimState
from tests.factories import UserFactory

QUEUE = reverse("admin:compensation_claim_changelist")


def korean_client(user):
    client = Client(headers={"accept-language": "ko"})
    client.force_login(user)
    return client


def test_agents_default_queue_includes_new_unassigned_claims_and_says_so(world):
    new = world.submit()  # nobody has taken it
    taken = world.submit(actor=world.other_user)
    services.claim_start_review(claim=taken, actor=world.agent2)  # agent2's now
    page = korean_client(world.agent).get(QUEUE, follow=True).content.decode()
    assert new.number in page and taken.number not in page
    assert "미배정 신규 신청 1건" in page and "내 담당 + 미배정 신규 + 이의신청" in page
    assert "?queue=assigned" in page  # the way to see only their own
    only_mine = korean_client(world.agent).get(QUEUE + "?queue=assigned").content.decode()
    assert new.number not in only_mine


def test_an_objection_reaches_other_agents_and_moves_to_its_reviewer(world):
    claim = world.claim_in(ClaimState.OBJECTED)  # decided by world.agent, still assigned to them
    assert claim.number in korean_client(world.agent2).get(QUEUE + "?queue=mine").content.decode()
    services.claim_start_review(claim=claim, actor=world.agent2)
    claim = world.reload(claim)
    assert claim.assignee == world.agent2
    assert claim.number in korean_client(world.agent2).get(QUEUE + "?queue=assigned").content.decode()
    other = world.claim_in(ClaimState.IN_REVIEW, claimant=UserFactory())  # world.agent's
    assert other.number not in korean_client(world.agent2).get(QUEUE + "?queue=mine").content.decode()
