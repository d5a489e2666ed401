"""The public notice shows the policies behind 보상기준 and, while intake is open, the way to claim."""

from django.urls import reverse

from tests.compensation.factories import PolicyFactory


def test_notice_lists_applicable_policies_with_documents_and_exclusions(world, client):
    PolicyFactory(
        incident_type="hacking", damage_type="asset_loss", name="해킹 × 자산 손실", criteria="해킹 피해 자산 전액"
    )
    page = client.get(reverse("incidents:detail", args=[world.incident.pk])).content.decode()
    assert world.policy.criteria in page
    assert world.requirement.name in page
    assert "정신적 피해" in page
    assert "해킹 피해 자산 전액" not in page  # another incident type's policy does not apply
    assert reverse("compensation:claim_new") + f"?incident={world.incident.pk}" in page


def test_no_claim_button_after_intake(world, client, at):
    at(2025, 2, 21, 9)
    page = client.get(reverse("incidents:detail", args=[world.incident.pk])).content.decode()
    assert world.policy.criteria in page
    assert reverse("compensation:claim_new") not in page
