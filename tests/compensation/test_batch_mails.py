"""Batch mails: Korean first with English below whoever issues the batch, in the recipient's language when known."""

from django.utils import translation

from compensation import services
from compensation.models import Claim, ClaimOrigin, Decision, ExchangeAccount, Notification
from compensation.notifications import links
from compensation.notifications.outbox import render
from tests.compensation.proactive_world import computed
from tests.factories import UserFactory


def _issue_in_english(world, django_capture_on_commit_callbacks):
    """Staff working in the English admin issue the batch."""
    batch = computed(world)
    services.batch_approve(batch=batch, actor=world.supervisor2)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        return services.batch_issue(batch=batch, actor=world.supervisor)


def test_decisions_and_mails_are_korean_first_whoever_issues_them(proactive, django_capture_on_commit_callbacks):
    """Issue 16: the reasons were written in the issuing staff member's language, the mail row always 'ko'."""
    _issue_in_english(proactive, django_capture_on_commit_callbacks)
    claim = Claim.objects.get(origin=ClaimOrigin.PROACTIVE, exchange_account__account_id="A-2", policy=proactive.policy)
    reasons = Decision.objects.get(claim=claim).reasons
    korean, english = reasons.split("\n\n")
    assert "근거" in korean or "거래소" in korean
    assert english.startswith("Compensated without a claim") and "O-2" in korean and "O-2" in english
    assert claim.description.index("거래소") < claim.description.index("Compensation without a claim")

    row = Notification.objects.get(claim=claim)
    assert row.language == "ko"  # nobody linked the account yet: Korean
    row = render(row)
    lines = row.body_text.splitlines()
    links = [line for line in lines if "/claims/account/link/" in line]
    assert links and all(line.strip().startswith("http") and " " not in line.strip() for line in links)
    assert row.body_text.index("보상") < row.body_text.index("We reviewed the exchange's own records")
    assert 'href="' in row.body_html and "/claims/account/link/" in row.body_html
    assert row.body_html.index('lang="ko"') < row.body_html.index('lang="en"')
    assert row.subject.startswith("[보상센터]")


def test_a_linked_user_written_in_english_gets_the_english_subject_with_korean_first(
    proactive, django_capture_on_commit_callbacks
):
    user = UserFactory()  # written in English before (the portal keeps no other language preference)
    account = ExchangeAccount.objects.get(account_id="A-1")
    services.exchange_account_link(actor=user, token=links.token_for(account.pk))
    Notification.objects.create(
        key=f"earlier-{user.pk}",
        kind=Notification.Kind.CLAIM_RECEIVED,
        recipient=user,
        to_email=user.email,
        language="en",
    )
    other = UserFactory()
    services.exchange_account_link(actor=other, token=links.token_for(ExchangeAccount.objects.get(account_id="A-2").pk))
    batch = computed(proactive)
    services.batch_approve(batch=batch, actor=proactive.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_issue(batch=batch, actor=proactive.supervisor)

    english = Notification.objects.filter(kind="proactive_decision", recipient=user)
    assert english.count() == 2 and set(english.values_list("language", flat=True)) == {"en"}
    row = render(english.first())
    assert row.subject.startswith("[Compensation desk]")
    assert row.body_text.index("거래소 내부 기록") < row.body_text.index("We reviewed")  # still Korean first
    korean = Notification.objects.filter(kind="proactive_decision", recipient=other)
    assert set(korean.values_list("language", flat=True)) == {"ko"}  # never written to: Korean
