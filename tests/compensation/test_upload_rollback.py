"""A crash after an upload was stored leaves nothing behind: no rows, no file on disk, the old state."""

import pytest

from compensation import services
from compensation.models import Claim, ClaimDocument, ClaimState
from tests.compensation.factories import png_upload


class Crash(Exception):
    pass


def crash(*args, **kwargs):
    raise Crash


def files_on_disk(settings):
    return sorted(
        p.relative_to(settings.PRIVATE_MEDIA_ROOT) for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file()
    )


def test_a_claim_that_fails_after_its_documents_were_stored_leaves_no_file(world, settings, monkeypatch):
    before = files_on_disk(settings)
    monkeypatch.setattr("compensation.notifications.claimant.claim_received", crash)
    with pytest.raises(Crash):
        world.submit(files=[(world.requirement, png_upload()), (None, png_upload("extra.png"))])
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()
    assert files_on_disk(settings) == before


def test_a_supplement_that_fails_leaves_the_claim_waiting_and_no_file(world, settings, monkeypatch):
    claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
    before = files_on_disk(settings)
    monkeypatch.setattr("compensation.services.intake.apply_transition", crash)
    with pytest.raises(Crash):
        services.claim_add_supplement(claim=claim, actor=world.claimant, files=[(None, png_upload())])
    assert world.reload(claim).state == ClaimState.SUPPLEMENT_REQUESTED
    assert claim.documents.count() == 1
    assert files_on_disk(settings) == before


def test_an_objection_that_fails_leaves_the_decision_standing_and_no_file(world, settings, monkeypatch):
    claim = world.claim_in(ClaimState.DECIDED)
    before = files_on_disk(settings)
    monkeypatch.setattr("compensation.notifications.claimant.objection_received", crash)
    with pytest.raises(Crash):
        services.claim_object(claim=claim, actor=world.claimant, reason="금액이 적습니다", files=[(None, png_upload())])
    claim = world.reload(claim)
    assert claim.state == ClaimState.DECIDED and claim.objection_round == 0
    assert files_on_disk(settings) == before
