"""The claimant's side: file a claim, add documents, withdraw."""

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compensation.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimIntent,
    ClaimState,
    DocumentPurpose,
    RequiredDocument,
)
from compensation.notifications import claimant as notify
from compensation.permissions import Action, Actor
from compensation.selectors import live_claim
from compensation.selectors.intake import intake_incident
from compensation.services import deadlines
from compensation.services._common import (
    apply_transition,
    atomic_with_files,
    lock_claim,
    require_allowed,
    require_claimant,
)
from compensation.services.policies import policy_version_record
from compensation.services.uploads import check_upload
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst


def _store_documents(*, claim, actor, files, purpose, written, objection=None):
    """files: iterable of (RequiredDocument or None, UploadedFile); validated before anything is written.

    Each stored file is added to `written` (from `atomic_with_files`) as soon as it is on disk.
    """
    # Checked past the first bytes; images are stored re-encoded, so size and hash are the clean file's.
    checked = [(requirement, upload, check_upload(upload)) for requirement, upload in files]
    documents = []
    for requirement, upload, clean in checked:
        document = ClaimDocument(
            claim=claim,
            requirement=requirement,
            objection=objection,
            purpose=purpose,
            original_name=(upload.name or "document")[:255],
            content_type=clean.content_type,
            size=clean.content.size,
            sha256=clean.sha256,
            uploaded_by=actor,
        )
        document.file.save(upload.name or "document", clean.content, save=False)
        written.append(document.file)
        documents.append(document)
    ClaimDocument.objects.bulk_create(documents)
    return documents


CLAIM_ID_NEXTVAL = "SELECT nextval(pg_get_serial_sequence('compensation_claim', 'id'))"


def claim_number(pk):
    """Human-readable and unique: the filing year (KST) and the claim's id, e.g. C-2025-000123."""
    return f"C-{today_kst().year}-{pk:06d}"


def missing_required_documents(policy, files):
    provided = {requirement.pk for requirement, _upload in files if requirement is not None}
    return [req for req in policy.required_documents.all() if req.pk not in provided]


# What the claimant's form sets on the claim; nothing else (state, amounts decided, …) comes from there.
CLAIMANT_FIELDS = frozenset(
    {"description", "payout_method", "payout_account", "asset", "side", "quantity", "intended_price_krw", "intended_at"}
)


def claim_submit(*, actor, incident, policy, idempotency_key, amount_claimed_krw, files=(), **details):
    """File a claim. Submitting the same form twice (same idempotency key) returns the first claim.

    `details`: description, payout_method, payout_account and, for trading damage, asset, side,
    quantity, intended_price_krw, intended_at (the Claim fields of the same names).
    """
    unknown = set(details) - CLAIMANT_FIELDS
    if unknown:
        raise TypeError(f"claim_submit() got unexpected keyword arguments: {sorted(unknown)}")
    if actor is None or not actor.is_authenticated:
        raise DomainError(_("Sign in to file a claim."), code=ErrorCode.FORBIDDEN)
    # During an outage the claim form is the hot path and each round trip counts. The incident and
    # the terms in force for this damage type (those its latest notice version published, else the
    # policy's latest version) come from the per-process cache (selectors.intake). "This very form
    # already went through" (retry, double click) and "a live claim for this damage exists" are
    # answered by the two unique constraints at INSERT, and looked up only when a refusal needs them.
    incident = intake_incident(incident.pk, policy.pk)
    now = timezone.now()
    if incident is None or not incident.intake_is_open(at=now):
        return _filed_before_intake_closed(actor, incident, idempotency_key)
    if policy.incident_type != incident.incident_type or not policy.is_active:
        raise DomainError(_("This damage type does not apply to this incident."), code=ErrorCode.POLICY)
    files = list(files)
    if amount_claimed_krw is None or amount_claimed_krw < 0:
        raise DomainError(_("Enter the amount you claim in KRW (0 or more)."))
    claim = _new_claim(
        actor,
        incident,
        policy,
        now,
        files,
        idempotency_key=idempotency_key,
        amount_claimed_krw=amount_claimed_krw,
        **details,
    )
    try:
        with atomic_with_files() as written:
            _insert_claim(claim)
            _store_documents(
                claim=claim, actor=actor, files=files, purpose=DocumentPurpose.APPLICATION, written=written
            )
            _claim_received(claim, actor, now)
    except IntegrityError:
        # The same form went through before (or concurrently), or a live claim for this damage exists.
        again = _same_form_claim(actor, idempotency_key)
        if again is not None:
            return again
        duplicate = live_claim(actor, incident, policy)
        if duplicate is not None:
            raise _duplicate_error(duplicate) from None
        raise
    return claim


def _filed_before_intake_closed(actor, incident, idempotency_key):
    """The retry of a form that went through before intake closed returns its claim; else a refusal."""
    if incident is None:
        raise DomainError(_("This incident is not taking claims."), code=ErrorCode.INTAKE_CLOSED)
    earlier = _same_form_claim(actor, idempotency_key)
    if earlier is not None:
        return earlier
    if incident.intake_ends_on:
        raise DomainError(
            _("Claims for this incident closed at the end of %(date)s (KST).")
            % {"date": incident.intake_ends_on.isoformat()},
            code=ErrorCode.INTAKE_CLOSED,
        )
    raise DomainError(_("This incident is not taking claims."), code=ErrorCode.INTAKE_CLOSED)


def _new_claim(actor, incident, policy, now, files, **fields):
    """The unsaved claim under the terms in force, its clocks started and missing documents listed."""
    # A claim is never lost to a missing document: it is filed with the list, and review asks for them.
    missing = missing_required_documents(policy, files)
    claim = Claim(
        incident=incident,
        policy=policy,
        policy_version_id=incident.terms_version_id or policy_version_record(policy=policy).pk,
        notice_terms_id=incident.terms_id,
        claimant=actor,
        filed_at=now,
        missing_documents=[{"id": doc.pk, "name": doc.name} for doc in missing],
        **fields,
    )
    deadlines.start_review_clock(claim, started_at=now)
    claim.statutory_due_on = deadlines.statutory_review_due(now)
    return claim


def _insert_claim(claim):
    # The "Claim received" event records the creation; history starts with the first change
    # (saving a 40-column snapshot of a row that was just inserted buys nothing).
    claim.skip_history_when_saving = True
    if connection.vendor == "postgresql":
        # The id is reserved first so the number goes into the same INSERT (no UPDATE after it).
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_ID_NEXTVAL)
            claim.pk = cursor.fetchone()[0]
        claim.number = claim_number(claim.pk)
        claim.save(force_insert=True)
    else:
        claim.save()
        claim.number = claim_number(claim.pk)
        Claim.objects.filter(pk=claim.pk).update(number=claim.number)
    del claim.skip_history_when_saving


def _claim_received(claim, actor, now):
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.TRANSITION,
        from_state="",
        to_state=claim.state,
        actor=actor,
        reason=_("Claim received"),
        created_at=now,
        data={
            "review_due_on": claim.review_due_on.isoformat(),
            "statutory_due_on": claim.statutory_due_on.isoformat(),
            "calendar_revision": claim.calendar_revision,
            "missing_documents": claim.missing_documents,
        },
    )
    notify.claim_received(claim=claim)


def _same_form_claim(actor, idempotency_key):
    return Claim.objects.filter(claimant=actor, idempotency_key=idempotency_key).first()


def claim_intent_record(*, user, incident):
    """Remember that `user` opened the claim form of `incident`, for the intake-closing reminder."""
    if user is None or not user.is_authenticated:
        return
    # One statement, one round trip (bulk_create wraps even one row in BEGIN … COMMIT): every form view does it.
    table = ClaimIntent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, incident_id, first_seen_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",  # noqa: S608 - our table name
            [user.pk, incident.pk, connection.ops.adapt_datetimefield_value(timezone.now())],
        )


def _duplicate_error(duplicate):
    return DomainError(
        _("You already filed claim %(number)s for this incident and damage type: %(url)s")
        % {"number": duplicate.number, "url": reverse("compensation:claim_detail", args=[duplicate.pk])},
        code=ErrorCode.DUPLICATE,
    )


def claim_add_supplement(*, claim, actor, files, note=""):
    """The claimant adds the documents asked for; the claim goes back to review."""
    files = list(files)
    if not files:
        raise DomainError(_("Attach at least one document."), code=ErrorCode.DOCUMENTS_MISSING)
    with atomic_with_files() as written:
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_allowed(claim, Action.ADD_SUPPLEMENT, by=Actor.CLAIMANT, action=_("given more documents"))
        files = _with_requirements(claim, files)
        documents = _store_documents(
            claim=claim, actor=actor, files=files, purpose=DocumentPurpose.SUPPLEMENT, written=written
        )
        supplied = {requirement.pk for requirement, _upload in files if requirement is not None}
        if supplied and claim.missing_documents:
            claim.missing_documents = [doc for doc in claim.missing_documents if doc["id"] not in supplied]
            claim.save(update_fields=["missing_documents", "updated_at"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.DOCUMENT,
            actor=actor,
            reason=note,
            data={"documents": [d.original_name for d in documents]},
        )
        if claim.state == ClaimState.SUPPLEMENT_REQUESTED:
            apply_transition(claim, "add_supplement", actor=actor, reason=note or _("Documents added"))
    return claim


def _with_requirements(claim, files):
    """(requirement or its id or None, upload) → (RequiredDocument or None, upload), only the claim's policy's."""
    ids = {req for req, _upload in files if isinstance(req, int)}
    known = RequiredDocument.objects.filter(policy_id=claim.policy_id).in_bulk(ids) if ids else {}
    return [(known.get(req) if isinstance(req, int) else req, upload) for req, upload in files]


def claim_withdraw(*, claim, actor, reason=""):
    with transaction.atomic():
        claim = lock_claim(claim)
        require_claimant(claim, actor)
        require_allowed(claim, Action.WITHDRAW, by=Actor.CLAIMANT, action=_("withdrawn"))
        apply_transition(claim, "withdraw", actor=actor, reason=reason or _("Withdrawn by the claimant"))
    return claim


def documents_for_upload(policy, data_files, *, prefix="doc_"):
    """Pair uploaded files from a form with the policy's requirements (`doc_<id>`, `doc_extra`)."""
    pairs = []
    for requirement in policy.required_documents.all():
        upload = data_files.get(f"{prefix}{requirement.pk}")
        if upload:
            pairs.append((requirement, upload))
    for upload in data_files.getlist(f"{prefix}extra"):
        pairs.append((None, upload))
    return pairs


__all__ = [
    "claim_submit",
    "claim_add_supplement",
    "claim_withdraw",
    "documents_for_upload",
    "missing_required_documents",
]
