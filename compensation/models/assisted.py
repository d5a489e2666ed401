"""Staff-assisted intake: a claim staff record for a user who phoned or visited.

The user claimed when they called (that is the 보상 신청일, so the review clock and the statutory
date count from the recording); the content staff typed waits for the user's confirmation in the
portal, through a signed link mailed to them. A decision waits for that confirmation; a correction
the user asks for goes back to staff, who correct the content and mail a new link.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssistedChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit in person")
    OTHER = "other", _("Other")


class IdentityMethod(models.TextChoices):
    ID_CARD = "id_card", _("ID card checked (신분증 확인)")
    CALLBACK = "callback", _("Identity verification callback (본인인증 callback)")
    EXCHANGE_ACCOUNT = "exchange_account", _("Exchange account verified")
    OTHER = "other", _("Other (see the note)")


class Confirmation(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting the claimant's confirmation")
    CONFIRMED = "confirmed", _("Confirmed by the claimant")
    CORRECTION_REQUESTED = "correction_requested", _("Claimant asked for a correction")


class AssistedIntake(models.Model):
    """How a staff-recorded claim came in, whose identity was checked how, and the user's confirmation."""

    claim = models.OneToOneField(
        "compensation.Claim", on_delete=models.PROTECT, related_name="assisted_intake", verbose_name=_("claim")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=AssistedChannel.choices)
    identity_method = models.CharField(_("identity check"), max_length=20, choices=IdentityMethod.choices)
    identity_note = models.TextField(_("identity check note"), blank=True)
    # The address the confirmation link went to; a claim not yet tied to a portal user is held for it.
    email = models.EmailField(_("claimant's address"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The recording form's key: a double click or a retried POST records one claim.
    idempotency_key = models.UUIDField(_("idempotency key"), unique=True)
    confirmation = models.CharField(
        _("confirmation"), max_length=24, choices=Confirmation.choices, default=Confirmation.AWAITING
    )
    # Bumped by each staff correction: each version of the content is mailed (and confirmed) once.
    revision = models.PositiveSmallIntegerField(_("content revision"), default=1)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    correction_request = models.TextField(_("correction asked for"), blank=True)

    class Meta:
        verbose_name = _("staff-assisted intake")
        verbose_name_plural = _("staff-assisted intakes")
        indexes = [models.Index(fields=["email", "confirmation"], name="assisted_held_for")]

    def __str__(self):
        return f"{self.claim_id} {self.channel} {self.confirmation}"

    @property
    def awaiting(self):
        return self.confirmation != Confirmation.CONFIRMED
