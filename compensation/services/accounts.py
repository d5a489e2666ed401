"""Exchange accounts and portal users: the verified link between them, and the payout staff verify.

A user never links an account by typing its id alone. Either they open the signed link mailed to
the address the exchange holds for that account (`exchange_account_link`), or staff check their
identity (phone call, visit) and link it, recording who, how and when. Linking hands the
account's proactive claims to the user. The payout is a credit to the account itself unless staff
verified a bank account or outside wallet (fraud and AML: a typed account is never trusted).
"""

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import Claim, ClaimEvent, ExchangeAccount, LinkMethod, Notification, PayoutKind
from compensation.notifications import keys, links, outbox
from incidents import roles
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst

ACCOUNT_STAFF = (roles.SUPERVISOR, roles.COMPLIANCE)


def _link(account, *, user, method, actor, identity_check=""):
    if account.user_id == user.pk:
        return account
    if account.user_id is not None:
        raise DomainError(
            _("This exchange account is already linked to another portal user; contact the help desk."),
            code=ErrorCode.DUPLICATE,
        )
    if ExchangeAccount.objects.filter(user=user).exclude(pk=account.pk).exists():
        raise DomainError(
            _("Your portal user is already linked to another exchange account; contact the help desk."),
            code=ErrorCode.DUPLICATE,
        )
    now = timezone.now()
    account.user = user
    account.linked_at = now
    account.link_method = method
    account.linked_by = actor if method == LinkMethod.STAFF else None
    account.identity_check = identity_check
    account.save(update_fields=["user", "linked_at", "link_method", "linked_by", "identity_check"])
    claims = list(Claim.objects.filter(exchange_account=account, claimant__isnull=True).values_list("pk", flat=True))
    try:
        with transaction.atomic():
            Claim.objects.filter(pk__in=claims).update(claimant=user, updated_at=now)
    except IntegrityError:
        raise DomainError(
            _("You already filed a claim for the same damage; the help desk will merge them."),
            code=ErrorCode.DUPLICATE,
        ) from None
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim_id=pk,
            kind=ClaimEvent.Kind.NOTE,
            actor=actor or user,
            reason=_("Exchange account %(account)s linked to the portal user (%(method)s)")
            % {"account": account.account_id, "method": LinkMethod(method).label},
            data={"exchange_account": account.pk, "user": user.pk, "method": method},
            created_at=now,
        )
        for pk in claims
    )
    return account


def exchange_account_link(*, actor, token):
    """The signed-in user opened the link mailed to the account's address: link the account to them."""
    if actor is None or not actor.is_authenticated:
        raise DomainError(_("Sign in or sign up first, then open the link again."), code=ErrorCode.FORBIDDEN)
    try:
        account_pk = links.account_pk_from(token)
    except signing.SignatureExpired:
        raise DomainError(_("This link has expired; ask for a new one."), code=ErrorCode.DEADLINE_PASSED) from None
    except signing.BadSignature:
        raise DomainError(_("This link is not valid."), code=ErrorCode.NOT_FOUND) from None
    with transaction.atomic():
        account = ExchangeAccount.objects.select_for_update().filter(pk=account_pk).first()
        if account is None:
            raise DomainError(_("This link is not valid."), code=ErrorCode.NOT_FOUND)
        return _link(account, user=actor, method=LinkMethod.MAILED_LINK, actor=None)


def exchange_account_request_link(*, actor, account_id):
    """Mail the signed link to the address the exchange holds for the account, if there is one.

    The answer is the same whether the account exists or not: the portal must not tell a stranger
    which account ids exist. Asking again the same day queues nothing new.
    """
    if actor is None or not actor.is_authenticated:
        raise DomainError(_("Sign in first."), code=ErrorCode.FORBIDDEN)
    account_id = (account_id or "").strip()
    if not account_id:
        raise DomainError(_("Enter your exchange account id."))
    account = ExchangeAccount.objects.filter(account_id=account_id).first()
    if account is None or not account.email or account.user_id is not None:
        return []
    with transaction.atomic():
        return outbox.add(
            [
                Notification(
                    key=keys.account_link(account.pk, actor.pk, today_kst()),
                    kind=Notification.Kind.ACCOUNT_LINK,
                    recipient=None,
                    to_email=account.email,
                    language="ko",
                    context={"account_id": account.account_id, "exchange_account_pk": account.pk},
                )
            ]
        )


def exchange_account_link_by_staff(*, account, user, actor, identity_check):
    """Staff checked the person's identity (how: phone call with ID questions, a visit with ID) and link."""
    roles.require_role(actor, *ACCOUNT_STAFF, action=_("verify exchange accounts"))
    if not (identity_check or "").strip():
        raise DomainError(_("Record how you checked the person's identity."))
    with transaction.atomic():
        account = ExchangeAccount.objects.select_for_update().get(pk=account.pk)
        return _link(account, user=user, method=LinkMethod.STAFF, actor=actor, identity_check=identity_check)


def exchange_account_verify_payout(*, account, actor, kind, details, identity_check):
    """A payout other than the account credit, verified by staff (who and when are recorded)."""
    roles.require_role(actor, *ACCOUNT_STAFF, action=_("verify payout accounts"))
    if kind not in PayoutKind.values:
        raise DomainError(_("Unknown payout kind."))
    if kind != PayoutKind.EXCHANGE_CREDIT and not (details or "").strip():
        raise DomainError(_("Enter the bank account or wallet address."))
    if kind != PayoutKind.EXCHANGE_CREDIT and not (identity_check or "").strip():
        raise DomainError(_("Record how you verified that the account belongs to the user."))
    with transaction.atomic():
        account = ExchangeAccount.objects.select_for_update().get(pk=account.pk)
        account.payout_kind = kind
        account.payout_details = "" if kind == PayoutKind.EXCHANGE_CREDIT else details.strip()
        account.payout_verified_by = actor
        account.payout_verified_at = timezone.now()
        account.identity_check = "\n".join(filter(None, [account.identity_check, identity_check.strip()]))
        account.save()
    return account
