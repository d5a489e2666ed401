"""Filing a claim through the portal form: what it shows, what it refuses, and that retries make one claim."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compensation.models import Claim, ClaimDocument
from tests.compensation.factories import PolicyFactory, RequiredDocumentFactory, pdf_upload, png_upload
from tests.compensation.portal import claim_form, client_for, detail_url, new_claim_url
from tests.factories import IncidentFactory


@pytest.fixture
def client(world):
    return client_for(world.claimant)


def page_text(response):
    return html.unescape(response.content.decode())


def test_form_shows_criteria_cap_exclusions_and_required_documents(world, client):
    response = client.get(new_claim_url(world.incident))
    text = page_text(response)
    assert response.status_code == 200
    assert world.policy.criteria in text
    assert "5,000,000" in text
    assert "Mental distress" in text
    assert world.requirement.name in text
    assert world.incident.notice_versions.first().compensation_criteria in text
    # A single policy is chosen for the user: the form with its document input is there.
    assert f'name="doc_{world.requirement.pk}"' in text
    assert 'name="idempotency_key"' in text
    assert 'name="doc_extra"' in text


def test_only_active_policies_of_the_incident_type_are_offered(world, client):
    PolicyFactory(incident_type="login_failure", damage_type="other", name="로그인 장애 기타")
    PolicyFactory(damage_type="excess_fee", name="비활성 수수료", is_active=False)
    second = PolicyFactory(damage_type="wrong_price", name="오체결 손해")
    text = page_text(client.get(new_claim_url(world.incident)))
    assert "로그인 장애 기타" not in text
    assert "비활성 수수료" not in text
    assert second.name in text
    # Two damage types: the user chooses first, no form yet.
    assert 'name="idempotency_key"' not in text
    assert f"policy={second.pk}" in text


def test_a_claim_is_filed_with_its_documents(world, client):
    response = client.post(
        new_claim_url(world.incident, world.policy), claim_form(world.policy, doc_extra=[pdf_upload("extra.pdf")])
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(claim)
    assert claim.claimant == world.claimant
    assert claim.asset == "BTC"
    assert claim.amount_claimed_krw == 300_000
    assert sorted(claim.documents.values_list("content_type", flat=True)) == ["application/pdf", "image/png"]
    page = page_text(client.get(response["Location"]))
    assert claim.number in page
    assert claim.review_due_on.isoformat() in page


def test_posting_the_same_form_twice_creates_one_claim(world, client):
    data = claim_form(world.policy, key="6f1c2a43-5a0d-4b1e-9a55-0a9c43d3c001")
    first = client.post(new_claim_url(world.incident, world.policy), data)
    again = claim_form(world.policy, key="6f1c2a43-5a0d-4b1e-9a55-0a9c43d3c001")
    second = client.post(new_claim_url(world.incident, world.policy), again)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Claim.objects.count() == 1
    assert ClaimDocument.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (
            SimpleUploadedFile("x.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
            "“x.pdf” is not a PDF, PNG or JPEG file",
        ),
        (
            SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024 + 1)),
            "“big.png” is 10.0 MB; the limit is 10 MB per file.",
        ),
        (SimpleUploadedFile("empty.pdf", b""), "“empty.pdf” is empty."),
    ],
    ids=["renamed-executable", "oversize", "empty"],
)
def test_bad_upload_is_refused_and_what_was_typed_is_kept(world, client, upload, expected):
    data = claim_form(
        world.policy,
        files={f"doc_{world.requirement.pk}": upload},
        description="제가 직접 쓴 설명입니다",
        payout_account="신한은행 999-888",
    )
    response = client.post(new_claim_url(world.incident, world.policy), data)
    text = page_text(response)
    assert response.status_code == 400
    assert expected in text
    assert "choose them again" in text
    assert "제가 직접 쓴 설명입니다" in text
    assert 'value="신한은행 999-888"' in text
    assert 'value="300000"' in text
    assert f'value="{data["idempotency_key"]}"' in text
    assert not Claim.objects.exists()


def test_a_claim_without_its_required_document_is_filed_and_the_document_asked_for(world, client):
    """Issue 13, case 4: the portal refused a claim missing a required document."""
    response = client.post(new_claim_url(world.incident, world.policy), claim_form(world.policy, files={}))
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert [doc["name"] for doc in claim.missing_documents] == [world.requirement.name]
    assert world.requirement.name in page_text(client.get(response["Location"]))


def test_a_late_claim_is_refused_with_the_date_intake_closed(world, client, at):
    page = client.get(new_claim_url(world.incident))  # rendered while intake was open
    key = page.context["form"]["idempotency_key"].value()
    at(2025, 2, 21, 0, 0, 1)
    client.force_login(world.claimant)  # the two-week session would have expired meanwhile
    response = client.post(new_claim_url(world.incident, world.policy), claim_form(world.policy, key=key))
    assert response.status_code == 400
    assert "Claims for this incident closed at the end of 2025-02-20 (KST)." in page_text(response)
    assert not Claim.objects.exists()
    # The form page itself says so and offers no form.
    text = page_text(client.get(new_claim_url(world.incident)))
    assert "closed at the end of 2025-02-20" in text
    assert 'name="idempotency_key"' not in text


def test_a_second_claim_for_the_same_damage_links_to_the_first(world, client):
    first = world.submit()
    response = client.post(new_claim_url(world.incident, world.policy), claim_form(world.policy))
    text = page_text(response)
    assert response.status_code == 400
    assert f"You already filed claim {first.number}" in text
    assert f'href="{detail_url(first)}"' in text
    assert Claim.objects.count() == 1


def test_the_form_page_says_a_claim_exists_before_anything_is_typed(world, client):
    from compensation import services

    first = world.submit()
    text = page_text(client.get(new_claim_url(world.incident)))
    assert f"You already filed claim {first.number} for this incident and damage type." in text
    assert f'href="{detail_url(first)}"' in text
    assert 'name="idempotency_key"' not in text
    services.claim_withdraw(claim=first, actor=world.claimant)
    text = page_text(client.get(new_claim_url(world.incident)))
    assert "You already filed claim" not in text
    assert 'name="idempotency_key"' in text


def test_price_difference_claims_need_the_order_details(world, client):
    data = claim_form(world.policy, asset="", quantity="")
    response = client.post(new_claim_url(world.incident, world.policy), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"asset", "quantity"}


def test_the_form_is_404_for_an_unpublished_incident_or_a_foreign_policy(world, client):
    draft = IncidentFactory()
    assert client.get(new_claim_url(draft)).status_code == 404
    other_type = PolicyFactory(incident_type="login_failure")
    assert client.get(new_claim_url(world.incident, other_type)).status_code == 404
    assert client.get("/claims/new/?incident=abc").status_code == 404
    assert client.get("/claims/new/?incident=99999999999999999999999").status_code == 404
    assert client.post(new_claim_url(draft, world.policy), claim_form(world.policy)).status_code == 404
    assert client.post(new_claim_url(world.incident, other_type), claim_form(other_type)).status_code == 404
    assert client.post(new_claim_url(world.incident), claim_form(world.policy)).status_code == 404
    assert not Claim.objects.exists()


def test_non_trading_policy_form_has_no_order_fields(world, client):
    world.policy.is_active = False
    world.policy.save()
    fee = PolicyFactory(damage_type="excess_fee", method="fee_refund", name="수수료 환급")
    RequiredDocumentFactory(policy=fee, name="수수료 내역")
    text = page_text(client.get(new_claim_url(world.incident)))
    assert 'name="asset"' not in text
    response = client.post(
        new_claim_url(world.incident, fee),
        claim_form(fee, asset="", side="", quantity="", intended_price_krw="", intended_at=""),
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.asset == "" and claim.quantity is None
    assert claim.documents.get().requirement.name == "수수료 내역"


def test_the_files_picker_accepts_pdf_png_jpeg(world, client):
    text = page_text(client.get(new_claim_url(world.incident)))
    assert 'accept=".pdf,.png,.jpg,.jpeg' in text
    assert 'enctype="multipart/form-data"' in text


def test_labels_for_every_input(world, client):
    import re

    text = page_text(client.get(new_claim_url(world.incident)))
    form = text[text.index('id="claim-form"') :]
    tags = re.findall(r"<(?:input|select|textarea)[^>]*>", form)
    ids = [re.search(r'\bid="([^"]+)"', tag).group(1) for tag in tags if 'type="hidden"' not in tag]
    assert ids
    for input_id in ids:
        assert f'for="{input_id}"' in form, input_id


def test_png_upload_helper_is_valid(world):
    # Guard for the fixtures above: the factory PNG passes the content check.
    from compensation.services.uploads import validate_upload

    assert validate_upload(png_upload())[0] == "image/png"
