"""What new users and staff hit: action URLs opened with GET, buttons a role cannot use, a doubled link."""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from compensation.models import ClaimState
from tests.compensation.portal import client_for, detail_url
from tests.factories import ComplianceFactory


@pytest.mark.parametrize("name", ["claim_object", "claim_accept", "claim_withdraw", "claim_supplement"])
def test_action_urls_opened_with_get_go_to_the_claim_page(world, name):
    claim = world.claim_in(ClaimState.DECIDED)
    response = client_for(world.claimant).get(reverse(f"compensation:{name}", args=[claim.pk]))
    assert response.status_code == 302 and response["Location"] == detail_url(claim)
    other = client_for(world.other_user).get(reverse(f"compensation:{name}", args=[claim.pk]), follow=True)
    assert other.status_code == 404  # someone else's claim still never shows


def test_queue_shows_only_the_buttons_the_role_can_use(world):
    import_url = reverse("admin:compensation_payment_import")
    unpaid_url = reverse("admin:compensation_unpaid_csv")
    queue = reverse("admin:compensation_claim_changelist") + "?queue=all"
    agent_page = client_for(world.agent).get(queue).content.decode()
    assert import_url not in agent_page and unpaid_url not in agent_page
    compliance_page = client_for(ComplianceFactory()).get(queue).content.decode()
    assert import_url not in compliance_page and unpaid_url in compliance_page
    supervisor_page = client_for(world.supervisor).get(queue).content.decode()
    assert import_url in supervisor_page and unpaid_url in supervisor_page


@pytest.mark.django_db
def test_login_page_offers_the_password_reset_once():
    page = client_for().get(reverse("account_login")).content.decode()
    assert page.count(reverse("account_reset_password")) == 1


def test_paid_claim_page_shows_payment_date_and_reference(world):
    claim = world.claim_in(ClaimState.PAID)
    page = client_for(world.claimant).get(detail_url(claim)).content.decode()
    payment = claim.payments.get()
    # The payment's own row (the decision above it says 200,000 KRW too).
    at = page.index(payment.reference)
    row = page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]
    assert "200,000" in row
    assert payment.paid_at.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M") in row


def test_admin_home_links_to_register_sla_and_running_dashboards(world):
    page = client_for(world.agent).get(reverse("admin:index")).content.decode()
    assert reverse("admin:compensation_incident_register") in page
    assert reverse("admin:compensation_sla") in page
    assert reverse("admin:compensation_incident_dashboard", args=[world.incident.pk]) in page


@pytest.mark.django_db
def test_password_reset_for_an_address_too_long_to_exist_queues_nothing():
    from compensation.models import Notification

    address = "x" * 300 + "@example.com"
    response = client_for().post(reverse("account_reset_password"), {"email": address})
    assert response.status_code in (200, 302)
    assert not Notification.objects.filter(to_email=address).exists()
