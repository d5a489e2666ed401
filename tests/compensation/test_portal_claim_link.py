"""The snippet the public notice includes: a "File a claim" link while intake is open, nothing after."""

from django.template.loader import render_to_string

from tests.compensation.portal import new_claim_url


def test_link_while_intake_is_open(world):
    html = render_to_string("compensation/includes/file_claim_link.html", {"incident": world.incident})
    assert f'href="{new_claim_url(world.incident)}"' in html


def test_no_link_after_intake_closed_or_in_preview(world, at):
    at(2025, 2, 21, 0, 0, 1)
    assert "href" not in render_to_string("compensation/includes/file_claim_link.html", {"incident": world.incident})
    at(2025, 1, 22, 10)
    assert "href" not in render_to_string(
        "compensation/includes/file_claim_link.html", {"incident": world.incident, "preview": True}
    )
