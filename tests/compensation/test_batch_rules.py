"""Proactive batches: who may do what (the one permission table), and bad input that changes nothing."""

import pytest
from django.urls import reverse
from django.utils import translation

from compensation import services
from compensation.models import (
    AffectedOrder,
    BatchEvent,
    BatchLine,
    BatchState,
    Claim,
    CompensationBatch,
    DelayedTransfer,
    FailedLogin,
    MarketPrice,
    Notification,
)
from compensation.permissions import BATCH_ACTIONS, BatchAction, batch_actions_for
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from tests.compensation.proactive_world import computed, issued
from tests.factories import AgentFactory, ComplianceFactory

A = BatchAction


def _snapshot(batch):
    batch = CompensationBatch.objects.get(pk=batch.pk)
    lines = list(
        BatchLine.objects.filter(batch=batch).order_by("pk").values_list("account_id", "amount_krw", "outcome")
    )
    return (
        batch.state,
        batch.total_krw,
        batch.approved_by_id,
        batch.compliance_approved_by_id,
        batch.events.count(),
        lines,
        Claim.objects.count(),
        Notification.objects.count(),
    )


# --- the table --------------------------------------------------------------------------------
def test_the_table_names_each_batch_action_with_roles_and_states():
    assert set(BATCH_ACTIONS) == set(BatchAction)
    for action, (allowed_roles, states) in BATCH_ACTIONS.items():
        assert allowed_roles and set(allowed_roles) <= set(roles.ALL_ROLES), action
        assert states is None or set(states) <= set(BatchState), action
    assert BATCH_ACTIONS[A.APPROVE][0] == (roles.SUPERVISOR,)
    assert BATCH_ACTIONS[A.CO_APPROVE][0] == (roles.COMPLIANCE,)
    assert roles.AGENT not in {role for allowed_roles, _states in BATCH_ACTIONS.values() for role in allowed_roles}


def test_what_each_role_may_do_on_a_computed_batch(proactive, settings):
    settings.COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW = 100_000
    batch = computed(proactive)
    context = {"needs_compliance": True, "limit_krw": 100_000}
    assert batch_actions_for(AgentFactory(), batch, **context) == set()
    assert batch_actions_for(proactive.supervisor, batch, **context) == {A.COMPUTE, A.CANCEL}  # the preparer
    assert batch_actions_for(proactive.supervisor2, batch, **context) == {A.COMPUTE, A.APPROVE, A.CANCEL}
    assert batch_actions_for(proactive.compliance, batch, **context) == {A.COMPUTE, A.CO_APPROVE, A.CANCEL}
    below = {"needs_compliance": False, "limit_krw": 100_000}
    assert A.CO_APPROVE not in batch_actions_for(proactive.compliance, batch, **below)


def test_an_agent_may_not_prepare_and_compliance_may_not_give_the_supervisors_approval(proactive):
    with pytest.raises(DomainError) as refused:
        services.batch_create(incident=proactive.incident, actor=AgentFactory())
    assert refused.value.code == ErrorCode.FORBIDDEN
    batch = computed(proactive)
    before = _snapshot(batch)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=proactive.compliance, kind=A.APPROVE)
    assert refused.value.code == ErrorCode.FORBIDDEN and "approve compensation batches" in str(refused.value)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=proactive.compliance)  # below the limit: not needed
    assert "not needed" in str(refused.value)
    assert _snapshot(batch) == before


def _buttons(page):
    return {action for action in ("compute", "approve", "co_approve", "issue", "cancel") if f'value="{action}"' in page}


def test_the_batch_page_shows_only_the_buttons_the_role_may_use(proactive, client, settings):
    settings.COMPENSATION_BATCH_COMPLIANCE_LIMIT_KRW = 100_000
    batch = computed(proactive)
    url = reverse("admin:compensation_batch", args=[batch.pk])
    expected = {
        AgentFactory(): set(),
        proactive.supervisor: {"compute", "cancel"},
        proactive.supervisor2: {"compute", "approve", "cancel"},
        proactive.compliance: {"compute", "co_approve", "cancel"},
    }
    for user, buttons in expected.items():
        client.force_login(user)
        assert _buttons(client.get(url).content.decode()) == buttons, user
    client.force_login(proactive.supervisor)
    assert 'id="batch-waiting"' in client.get(url).content.decode()


def test_a_refused_action_on_the_page_is_a_message_and_changes_nothing(proactive, client):
    batch = computed(proactive)
    before = _snapshot(batch)
    url = reverse("admin:compensation_batch", args=[batch.pk])
    client.force_login(proactive.supervisor)  # the preparer
    with translation.override("en"):
        response = client.post(url, {"action": "approve"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "another person must approve it" in response.content.decode() or "승인" in response.content.decode()
    agent = AgentFactory()
    client.force_login(agent)
    response = client.post(url, {"action": "issue"}, follow=True)
    assert response.status_code == 200 and _snapshot(batch) == before
    response = client.post(url, {"action": "no-such-thing"}, follow=True)
    assert response.status_code == 200 and _snapshot(batch) == before
    page = reverse("admin:compensation_proactive", args=[proactive.incident.pk])
    response = client.post(page, {"action": "create"}, follow=True)
    assert response.status_code == 200 and CompensationBatch.objects.count() == 1
    assert 'value="create"' not in client.get(page).content.decode()


def test_the_credit_file_follows_the_table(proactive, client):
    url = reverse("admin:compensation_credit_file")
    client.force_login(AgentFactory())
    assert client.get(url).status_code == 403
    client.force_login(ComplianceFactory())
    assert client.get(url).status_code == 200


# --- bad input --------------------------------------------------------------------------------
def test_compute_with_no_logs_is_refused_and_changes_nothing(world, at):
    at(2025, 1, 21, 10)
    batch = services.batch_create(incident=world.incident, actor=world.supervisor)
    before = _snapshot(batch)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_compute(batch=batch, actor=world.supervisor)
    assert refused.value.code == ErrorCode.EMPTY_FILE and "import the logs first" in str(refused.value)
    assert _snapshot(batch) == before


def test_compute_without_a_price_for_an_asset_names_it_and_keeps_the_last_computation(proactive):
    batch = computed(proactive)
    before = _snapshot(batch)
    MarketPrice.objects.filter(incident=proactive.incident, asset="XRP").delete()
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_compute(batch=batch, actor=proactive.supervisor2)
    assert "XRP" in str(refused.value) and "import the prices first" in str(refused.value)
    assert _snapshot(batch) == before
    assert CompensationBatch.objects.get(pk=batch.pk).prepared_by == proactive.supervisor


def test_approve_by_the_preparer_issue_twice_and_cancel_after_issue_are_refused(
    proactive, django_capture_on_commit_callbacks
):
    batch = computed(proactive)
    before = _snapshot(batch)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_approve(batch=batch, actor=proactive.supervisor)
    assert refused.value.code == ErrorCode.FOUR_EYES and "another person must approve" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        services.batch_issue(batch=batch, actor=proactive.supervisor)  # not approved yet
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    assert _snapshot(batch) == before

    services.batch_cancel(batch=batch, actor=proactive.supervisor, reason="recompute under a new batch")
    batch = issued(proactive, django_capture_on_commit_callbacks)
    after_issue = _snapshot(batch)
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.batch_issue(batch=batch, actor=proactive.supervisor)
    assert refused.value.code == ErrorCode.INVALID_TRANSITION and "Issued" in str(refused.value)
    with pytest.raises(DomainError) as refused:
        services.batch_cancel(batch=batch, actor=proactive.supervisor, reason="too late")
    assert refused.value.code == ErrorCode.INVALID_TRANSITION
    with pytest.raises(DomainError):
        services.batch_compute(batch=batch, actor=proactive.supervisor)
    assert _snapshot(batch) == after_issue


def test_a_cancel_needs_a_reason(proactive):
    batch = computed(proactive)
    before = _snapshot(batch)
    with pytest.raises(DomainError):
        services.batch_cancel(batch=batch, actor=proactive.supervisor, reason="  ")
    assert _snapshot(batch) == before
    assert BatchEvent.objects.filter(batch=batch, to_state=BatchState.CANCELLED).count() == 0
    assert AffectedOrder.objects.count() and DelayedTransfer.objects.count() and FailedLogin.objects.count()
