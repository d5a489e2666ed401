"""The drain's shortcuts keep the outbox's guarantees: one template pass per chunk writes each row's
own words, rows the server accepted are marked together, and a crash between the "250" and that
mark resends (same Message-ID), never loses."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from compensation.models import Notification
from compensation.notifications import outbox, shared_render

pytestmark = pytest.mark.django_db

PROACTIVE = tuple(f"emails/compensation/proactive_decision.{end}" for end in ("subject.txt", "txt", "html"))


def _decision_mail(i, **context):
    values = {
        "claim_id": 1000 + i,
        "claim_number": f"C-2025-{1000 + i:06d}",
        "incident_title": "주문 장애 <BTC> & 입출금",
        "amount_krw": 10_000 * (i + 1),
        "amount_display": f"{10_000 * (i + 1):,}",
        "pay_on": "2025-02-28",
        "reasons": f"근거: 주문 O-{i} <b>&amp;</b>\nline two & <i>{i}</i>\n\nEnglish below",
        "objection_window_ends_on": "2025-02-11",
        "max_rounds": 2,
        "rounds_left": 2,
        "approved": True,
        "account_id": f"A-{i}&<x>",
        "exchange_account_pk": 500 + i,
        "decision_id": 900_000 + i,
    }
    values.update(context)
    return Notification.objects.create(
        key=f"drain:{i}",
        kind="proactive_decision",
        to_email=f"u{i}@example.com",
        language="ko",
        context=values,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )


@pytest.fixture
def frozen():
    with time_machine.travel(timezone.now(), tick=False):  # the signed account link is stable
        yield


def test_a_chunk_is_rendered_in_one_pass_with_each_rows_own_words(frozen, monkeypatch):
    rows = [_decision_mail(i) for i in range(6)]
    alone = {row.pk: outbox.render(Notification.objects.get(pk=row.pk)) for row in rows}
    passes = []
    real = outbox._render_strings
    monkeypatch.setattr(outbox, "_render_strings", lambda kind, context: passes.append(kind) or real(kind, context))
    assert outbox.deliver_batch(notification_ids=[row.pk for row in rows]) == ["sent"] * 6
    assert len(passes) == 2  # the shared pass and the first row's check, not one per row
    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        expected = alone[row.pk]
        assert (row.subject, row.body_text, row.body_html) == (
            expected.subject,
            expected.body_text,
            expected.body_html,
        )
    html = Notification.objects.get(pk=rows[3].pk).body_html
    assert "A-3&amp;&lt;x&gt;" in html and "line two &amp; &lt;i&gt;3&lt;/i&gt;<br>" in html
    assert [message.to for message in mail.outbox] == [[f"u{i}@example.com"] for i in range(6)]


def test_a_value_a_template_branches_on_or_an_empty_one_is_rendered_row_by_row(frozen, monkeypatch):
    assert shared_render._simple_uses_only(PROACTIVE, ("account_id", "claim_number", "reasons"))
    assert not shared_render._simple_uses_only(PROACTIVE, ("approved",))  # {% if approved %}
    assert not shared_render._simple_uses_only(PROACTIVE, ("pay_on",))  # {{ pay_on|date:… }}
    rows = [_decision_mail(0), _decision_mail(1, reasons="")]
    alone = {row.pk: outbox.render(Notification.objects.get(pk=row.pk)).body_text for row in rows}
    assert outbox.deliver_batch(notification_ids=[row.pk for row in rows]) == ["sent", "sent"]
    assert {row.pk: row.body_text for row in Notification.objects.filter(pk__in=alone)} == alone


def test_a_crash_between_the_250_and_the_mark_sends_the_row_again_never_loses_it(frozen, monkeypatch):
    rows = [_decision_mail(i) for i in range(3)]
    real = outbox._mark_sent

    def killed(accepted):
        raise RuntimeError("worker killed before marking")

    monkeypatch.setattr(outbox, "_mark_sent", killed)
    with pytest.raises(RuntimeError):
        outbox.deliver_batch(notification_ids=[row.pk for row in rows])
    assert len(mail.outbox) == 3  # the server has them; we never recorded it
    left = Notification.objects.filter(pk__in=[row.pk for row in rows])
    assert {(row.state, row.attempts) for row in left} == {("pending", 1)}
    assert all(row.next_attempt_at > timezone.now() for row in left)  # still leased: nobody else sends them yet
    monkeypatch.setattr(outbox, "_mark_sent", real)
    assert outbox.deliver_batch(notification_ids=[row.pk for row in rows]) == ["skipped"] * 3
    with time_machine.travel(timezone.now() + timedelta(seconds=outbox.lease_seconds() + 1), tick=False):
        assert outbox.deliver_batch(notification_ids=[row.pk for row in rows]) == ["sent"] * 3
    assert len(mail.outbox) == 6
    first, again = mail.outbox[:3], mail.outbox[3:]
    assert [m.extra_headers["Message-ID"] for m in first] == [m.extra_headers["Message-ID"] for m in again]
    assert set(left.values_list("state", flat=True)) == {"sent"}
