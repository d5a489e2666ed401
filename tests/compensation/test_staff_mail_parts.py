"""Staff alerts and the daily digest follow the claimant mails' pattern: Korean then English, a text
and an HTML part, and the link to the case (or the workspace) in both parts, alone on its line."""

import re

from compensation.models import ClaimState, Notification
from compensation.notifications import staff_alerts as alerts
from compensation.notifications.outbox import render

SITE = "https://compensation.example"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def links_alone_on_their_lines(text):
    lines = [line.strip() for line in text.splitlines() if "http" in line]
    assert all(re.fullmatch(r"https?://\S+", line) for line in lines), lines
    return lines


def assert_bilingual(row):
    text, html = row.body_text, row.body_html
    korean, english = text.split("\n----\n", 1)
    assert HANGUL.search(korean) and re.search(r"[A-Za-z]{4,}", english)
    assert '<div lang="ko">' in html and '<div lang="en"' in html
    assert html.index('<div lang="ko">') < html.index('<div lang="en"')


def test_a_claim_alert_links_to_the_case_in_both_parts(world, at, settings):
    settings.SITE_URL = SITE
    claim = world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 17, 9)
    alerts.sweep()
    row = render(Notification.objects.filter(kind="deadline_alert", claim=claim).first())
    assert_bilingual(row)
    url = f"{SITE}/admin/compensation/claim/{claim.pk}/change/"
    assert links_alone_on_their_lines(row.body_text) == [url]
    assert f'href="{url}"' in row.body_html
    assert "claim review due" in row.subject and "보상신청 검토 기한" in row.subject


def test_an_incident_alert_links_to_the_incident(world, at, settings):
    settings.SITE_URL = SITE
    at(2025, 2, 19, 10)  # the World incident's intake ends 2025-02-20
    alerts.sweep()
    row = render(Notification.objects.filter(kind="deadline_alert", context__deadline="intake_end").first())
    assert_bilingual(row)
    url = f"{SITE}/admin/incidents/incident/{world.incident.pk}/change/"
    assert links_alone_on_their_lines(row.body_text) == [url]
    assert f'href="{url}"' in row.body_html


def test_the_digest_links_to_the_workspace_in_both_parts(world, at, settings):
    settings.SITE_URL = SITE
    world.claim_in(ClaimState.IN_REVIEW)
    at(2025, 2, 20, 9)
    alerts.digest()
    row = render(Notification.objects.filter(kind="daily_digest", recipient=world.agent).get())
    assert_bilingual(row)
    url = f"{SITE}/admin/compensation/claim/"
    assert links_alone_on_their_lines(row.body_text) == [url]
    assert f'href="{url}"' in row.body_html
