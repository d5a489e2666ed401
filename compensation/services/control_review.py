"""Signing off the yearly control review: compliance records its conclusion and the figures freeze."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import ControlReview
from compensation.selectors.control_review import control_review_pack
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst


def control_review_sign_off(*, year, actor, conclusion, now=None):
    roles.require_role(actor, roles.COMPLIANCE, action=_("sign off the yearly control review"))
    if not (conclusion or "").strip():
        raise DomainError(_("Write the conclusion and findings of the review."))
    if year > today_kst().year:
        raise DomainError(_("A year that has not begun cannot be reviewed."))
    try:
        with transaction.atomic():
            return ControlReview.objects.create(
                year=year,
                conclusion=conclusion.strip(),
                pack=control_review_pack(year),
                signed_off_by=actor,
                signed_off_at=now or timezone.now(),
            )
    except IntegrityError:
        raise DomainError(_("The review of %(year)d is already signed off.") % {"year": year}, code=ErrorCode.DUPLICATE)
