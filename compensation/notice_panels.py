"""What compensation adds to a public notice: the policies behind 보상기준, and the way to claim."""

from django.template.loader import render_to_string

from .portal_selectors import claim_policies


def notice_panels(*, incident, version, request, preview=False):
    policies = claim_policies(incident)
    context = {"incident": incident, "policies": policies, "preview": preview}
    yield "criteria", render_to_string("compensation/includes/notice_policies.html", context, request=request)
    yield "claim_action", render_to_string("compensation/includes/file_claim_link.html", context,
                                           request=request)
