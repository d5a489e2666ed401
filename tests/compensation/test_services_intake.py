from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compensation import services
from compensation.models import Claim, ClaimDocument, ClaimState, Notification
from incidents.errors import DomainError
from tests.compensation.factories import PolicyFactory, png_upload


def test_submit_numbers_the_claim_and_sets_15_business_day_due_date(world):
    claim = world.submit()
    assert claim.number == f"C-2025-{claim.pk:06d}"
    # Filed Wed 2025-01-22; 1/25–1/30 are weekend, 임시공휴일 and 설날 연휴: day 15 is 2025-02-18.
    assert claim.review_due_on == date(2025, 2, 18)
    assert claim.review_clock_started_on == date(2025, 1, 22)
    assert claim.calendar_revision >= 1
    assert claim.state == ClaimState.SUBMITTED
    assert claim.events.get().to_state == ClaimState.SUBMITTED


def test_filing_late_at_night_utc_counts_from_the_korean_date(world, at):
    at(2025, 1, 23, 8, 30)  # 2025-01-22 23:30 UTC is already the 23rd in Korea
    claim = world.submit()
    assert claim.review_clock_started_on == date(2025, 1, 23)
    assert claim.review_due_on == date(2025, 2, 19)


def test_same_form_submitted_twice_creates_one_claim(world):
    first = world.submit(idempotency_key="6f1c1d7e-1111-4a4a-9b9b-000000000001")
    again = world.submit(idempotency_key="6f1c1d7e-1111-4a4a-9b9b-000000000001")
    assert again.pk == first.pk
    assert Claim.objects.count() == 1


def test_second_claim_for_same_incident_and_damage_type_is_refused_with_link(world):
    first = world.submit()
    with pytest.raises(DomainError) as refused:
        world.submit()
    assert first.number in refused.value.message
    assert f"/claims/{first.pk}/" in refused.value.message


def test_a_refused_second_claim_stores_none_of_its_documents(world, settings):
    world.submit()
    stored_before = sorted(p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file())
    with pytest.raises(DomainError) as refused:
        world.submit(files=[(world.requirement, png_upload("second.png"))])
    assert refused.value.code == "duplicate"
    assert ClaimDocument.objects.count() == 1
    assert sorted(p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file()) == stored_before


def test_a_retry_after_intake_closed_returns_the_claim_filed_in_time(world, at):
    at(2025, 2, 20, 23, 59)
    first = world.submit(idempotency_key="6f1c1d7e-1111-4a4a-9b9b-000000000002")
    at(2025, 2, 21, 0, 0, 5)  # the retry of a timed-out request lands after midnight KST
    again = world.submit(idempotency_key="6f1c1d7e-1111-4a4a-9b9b-000000000002")
    assert again.pk == first.pk
    assert Claim.objects.count() == 1


def test_a_withdrawn_claim_can_be_filed_again(world):
    first = world.submit()
    services.claim_withdraw(claim=first, actor=world.claimant)
    second = world.submit()
    assert second.pk != first.pk


def test_claim_on_the_last_intake_day_is_accepted(world, at):
    at(2025, 2, 20, 23, 59)
    assert world.submit().state == ClaimState.SUBMITTED


def test_late_claim_is_refused_with_the_closing_date(world, at):
    at(2025, 2, 21, 0, 0, 1)
    with pytest.raises(DomainError) as refused:
        world.submit()
    assert "2025-02-20" in refused.value.message
    assert refused.value.code == "intake_closed"


def test_a_claim_without_its_required_document_is_filed_with_the_missing_list(world):
    """Issue 13, case 4: a claim missing a required document was refused outright."""
    claim = world.submit(files=[])
    assert claim.state == ClaimState.SUBMITTED
    assert claim.missing_documents == [{"id": world.requirement.pk, "name": world.requirement.name}]
    received = claim.events.get(to_state=ClaimState.SUBMITTED)
    assert received.data["missing_documents"] == claim.missing_documents
    mail = Notification.objects.get(claim=claim, kind=Notification.Kind.CLAIM_RECEIVED)
    assert mail.context["missing_documents"] == world.requirement.name


def test_review_of_a_claim_missing_documents_asks_for_them_at_once(world):
    claim = world.submit(files=[])
    services.claim_start_review(claim=claim, actor=world.agent)
    claim = world.reload(claim)
    assert claim.state == ClaimState.SUPPLEMENT_REQUESTED
    request = claim.events.filter(to_state=ClaimState.SUPPLEMENT_REQUESTED).get()
    assert world.requirement.name in request.reason and request.actor == world.agent
    mail = Notification.objects.get(claim=claim, kind=Notification.Kind.SUPPLEMENT_REQUESTED)
    assert world.requirement.name in mail.context["missing"]

    services.claim_add_supplement(claim=claim, actor=world.claimant, files=[(world.requirement.pk, png_upload())])
    claim = world.reload(claim)
    assert claim.state == ClaimState.IN_REVIEW and claim.missing_documents == []
    assert claim.documents.get(purpose="supplement").requirement == world.requirement


def test_a_complete_claim_goes_into_review_as_before(world):
    claim = world.submit()
    assert claim.missing_documents == []
    services.claim_start_review(claim=claim, actor=world.agent)
    assert world.reload(claim).state == ClaimState.IN_REVIEW


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "file_type"),
        ("empty.png", b"", "empty_file"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), "file_too_large"),
    ],
)
def test_bad_upload_is_refused_and_nothing_is_saved(world, name, content, code):
    bad = SimpleUploadedFile(name, content)
    with pytest.raises(DomainError) as refused:
        world.submit(files=[(world.requirement, bad)])
    assert refused.value.code == code
    assert name in refused.value.message
    assert not Claim.objects.exists()
    assert not ClaimDocument.objects.exists()


def test_documents_are_stored_outside_the_web_root_under_random_names(world, settings):
    claim = world.submit(files=[(world.requirement, png_upload("내 주문.png"))])
    document = claim.documents.get()
    assert document.content_type == "image/png"
    assert document.original_name == "내 주문.png"
    assert document.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert "내 주문" not in document.file.name


def test_policy_of_another_incident_type_is_refused(world):
    other = PolicyFactory(incident_type="hacking", damage_type="asset_loss", name="해킹")
    with pytest.raises(DomainError):
        world.submit(policy=other, files=[])


def test_claimant_withdraws_only_own_open_claim(world):
    claim = world.submit()
    with pytest.raises(DomainError) as refused:
        services.claim_withdraw(claim=claim, actor=world.other_user)
    assert refused.value.code == "not_found"
    services.claim_withdraw(claim=claim, actor=world.claimant, reason="착오")
    assert world.reload(claim).state == ClaimState.WITHDRAWN


def test_supplement_returns_the_claim_to_review(world):
    claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
    services.claim_add_supplement(claim=claim, actor=world.claimant, files=[(None, png_upload())], note="첨부")
    claim = world.reload(claim)
    assert claim.state == ClaimState.IN_REVIEW
    assert claim.documents.count() == 2


def test_supplement_without_files_is_refused(world):
    claim = world.claim_in(ClaimState.SUPPLEMENT_REQUESTED)
    with pytest.raises(DomainError):
        services.claim_add_supplement(claim=claim, actor=world.claimant, files=[])
