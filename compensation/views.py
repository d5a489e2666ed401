"""Claimant portal. Thin: forms check shape, services decide, DomainError becomes a message.

Someone else's claim or document is a 404, never a 403, so the pages never confirm it exists.
"""

import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from compensation import services
from compensation.formatting import plain_decimal
from compensation.forms import (
    AcceptForm,
    ClaimForm,
    CorrectionRequestForm,
    ObjectionForm,
    SupplementForm,
    WithdrawForm,
    is_trading_policy,
)
from compensation.selectors import claim_form_cache
from compensation.selectors import portal as selectors
from compensation.selectors.exposure import coverage_in_force
from incidents.errors import DomainError, ErrorCode
from incidents.kst import today_kst
from incidents.models import Incident

PAGE_SIZE = 20


def post_only_else_claim_page(view):
    """An action URL opened with GET (a bookmark, a reload, a link) goes to the claim page, not a bare 405."""

    @functools.wraps(view)
    def wrapped(request, pk, *args, **kwargs):
        if request.method != "POST":
            return redirect("compensation:claim_detail", pk=pk)
        return view(request, pk, *args, **kwargs)

    return wrapped


def _first_page_or_count(queryset, number):
    """The requested page. The first page of a user with at most PAGE_SIZE claims (nearly everyone)
    comes from one query, without the paginator's COUNT."""
    if number in (None, "", "1"):
        rows = list(queryset[: PAGE_SIZE + 1])
        if len(rows) <= PAGE_SIZE:
            return Paginator(rows, PAGE_SIZE).get_page(1)
    return Paginator(queryset, PAGE_SIZE).get_page(number)


@login_required
def claim_list(request):
    page = _first_page_or_count(selectors.my_claims(request.user), request.GET.get("page"))
    return render(
        request,
        "compensation/claim_list.html",
        {"page": page, "to_claim": selectors.incidents_to_claim_for(request.user)},
    )


def _int_param(request, name):
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        raise Http404 from None
    if not 0 < value < 2**63:  # a bigint primary key, or no such row
        raise Http404
    return value


@login_required
def claim_new(request):
    if request.method == "POST":
        return _claim_submit(request, _int_param(request, "incident"), _int_param(request, "policy"))
    # The terms and the empty fields are the same for everyone: shared, rendered once (claim_form_cache).
    chosen_policy = _int_param(request, "policy") if request.GET.get("policy") else None
    page = claim_form_cache.shared_parts(incident_pk=_int_param(request, "incident"), policy_pk=chosen_policy)
    incident = Incident(pk=page["incident_pk"])
    if page["intake_open"]:
        services.claim_intent_record(user=request.user, incident=incident)
    policy = selectors.submit_policy(page["incident_pk"], page["policy_pk"]) if page["policy_pk"] else None
    # Say so before the user types a whole claim that would be refused as a second one.
    duplicate = selectors.live_claim(request.user, incident, policy) if policy else None
    form, orders, chosen = None, [], None
    if policy and duplicate is None:
        if is_trading_policy(policy):
            orders = list(selectors.affected_orders_of(incident, request.user.email))
            chosen = _chosen_order(request, orders)
        initial = {"idempotency_key": uuid.uuid4()}
        if chosen is not None:
            initial.update(
                asset=chosen.asset,
                side=chosen.side,
                quantity=plain_decimal(chosen.quantity),
                intended_price_krw=chosen.price_krw,
                intended_at=chosen.attempted_at,
            )
        form = ClaimForm(policy=policy, initial=initial)
    return _claim_page(request, page, policy, form, duplicate=duplicate, orders=orders, chosen=chosen)


def _chosen_order(request, orders):
    """The failed order (from the exchange's log) the user picked to fill the form; only their own."""
    if not request.GET.get("order"):
        return None
    pk = _int_param(request, "order")
    order = next((order for order in orders if order.pk == pk), None)
    if order is None:
        raise Http404
    return order


def _claim_submit(request, incident_pk, policy_pk):
    # The hot path of an outage: read only the chosen policy (404 unless it applies to a public
    # incident); the service reads the incident itself, and the full page is built only when refused.
    policy = selectors.submit_policy(incident_pk, policy_pk)
    incident = Incident(pk=incident_pk)
    form = ClaimForm(request.POST, request.FILES, policy=policy)
    duplicate = None
    if form.is_valid():
        try:
            claim = services.claim_submit(
                actor=request.user,
                incident=incident,
                policy=policy,
                files=services.documents_for_upload(policy, request.FILES),
                **form.service_kwargs(),
            )
        except DomainError as error:
            if error.code == ErrorCode.POLICY:
                raise Http404 from None  # a policy of another incident type: as if it did not exist
            form.add_error(None, error.message)
            if error.code == ErrorCode.DUPLICATE:
                duplicate = selectors.live_claim(request.user, incident, policy)
        else:
            messages.success(
                request,
                _("Claim %(number)s received. Review is due by the end of %(date)s (KST).")
                % {"number": claim.number, "date": claim.review_due_on.isoformat()},
            )
            return redirect("compensation:claim_detail", pk=claim.pk)
    page = claim_form_cache.shared_parts(incident_pk=incident_pk, policy_pk=policy.pk)
    return _claim_page(request, page, policy, form, duplicate=duplicate, status=400)


def _claim_page(request, page, policy, form, *, duplicate=None, orders=(), chosen=None, status=200):
    # An empty form's fields are shared; a pre-filled (chosen order) or refused one is rendered here.
    shared_fields = form is not None and not form.is_bound and chosen is None
    return render(
        request,
        "compensation/claim_new.html",
        {
            "page": page,
            "terms_html": mark_safe(page["terms_html"]),  # noqa: S308 - our template, rendered without user input
            "fields_html": mark_safe(page["fields_html"]) if shared_fields else None,  # noqa: S308 - idem
            "policy": policy,
            "form": form,
            "duplicate": duplicate,
            "orders": orders,
            "chosen": chosen,
        },
        status=status,
    )


def _detail(request, claim, *, status=200, **forms):
    context = selectors.claim_page(claim)
    actions = selectors.claimant_actions(claim)
    context.update(claim=claim, actions=actions, confirmation_path=selectors.assisted_confirmation_path(claim))
    if actions["supplement"]:
        context["supplement_form"] = forms.get("supplement_form") or SupplementForm(missing=claim.missing_documents)
    if actions["withdraw"]:
        context["withdraw_form"] = forms.get("withdraw_form") or WithdrawForm()
    if actions["accept"]:
        context["accept_form"] = forms.get("accept_form") or AcceptForm()
    if actions["object"]:
        context["objection_form"] = forms.get("objection_form") or ObjectionForm()
    context["refusal"] = forms.get("refusal")
    # A refused form that is no longer offered (e.g. the window closed meanwhile) still shows what was typed.
    context["kept_text"] = [
        value
        for name, form in forms.items()
        if name.endswith("_form") and name not in context and form.is_bound
        for value in (form.data.get("reason"), form.data.get("note"))
        if value and value.strip()
    ]
    return render(request, "compensation/claim_detail.html", context, status=status)


@login_required
def claim_detail(request, pk):
    claim = selectors.my_claim(request.user, pk)
    unopened = selectors.decision_not_yet_opened(claim)
    if unopened is not None:
        # The claimant sees the decision now: the objection window counts from today if the mail has not.
        services.decision_notice_seen(decision=unopened, at=timezone.now(), via="portal")
        claim = selectors.my_claim(request.user, pk)
    return _detail(request, claim)


def _act(request, pk, form_class, form_name, call, **form_kwargs):
    """POST handler shared by the claim actions: validate, call the service, or re-render with what was typed."""
    claim = selectors.my_claim(request.user, pk)
    if callable(form_kwargs.get("missing")):
        form_kwargs["missing"] = form_kwargs["missing"](claim)
    form = form_class(request.POST, request.FILES, **form_kwargs)
    if form.is_valid():
        try:
            message = call(claim, form.cleaned_data)
        except DomainError as error:
            # Re-render instead of redirecting so a typed objection reason is not lost.
            claim = selectors.my_claim(request.user, pk)
            return _detail(request, claim, status=400, refusal=error.message, **{form_name: form})
        messages.success(request, message)
        return redirect("compensation:claim_detail", pk=claim.pk)
    return _detail(request, claim, status=400, **{form_name: form})


@login_required
@post_only_else_claim_page
def claim_supplement(request, pk):
    def call(claim, data):
        services.claim_add_supplement(claim=claim, actor=request.user, files=form_documents(data), note=data["note"])
        return _("Documents added. Your claim is back in review.")

    def form_documents(data):
        missing = [doc["id"] for doc in selectors.my_claim(request.user, pk).missing_documents]
        pairs = [(req, data.get(f"doc_{req}")) for req in missing]
        return [(req, upload) for req, upload in pairs if upload] + [(None, f) for f in data.get("files") or []]

    return _act(request, pk, SupplementForm, "supplement_form", call, missing=lambda claim: claim.missing_documents)


@login_required
@post_only_else_claim_page
def claim_withdraw(request, pk):
    def call(claim, data):
        services.claim_withdraw(claim=claim, actor=request.user, reason=data["reason"])
        return _("Your claim was withdrawn.")

    return _act(request, pk, WithdrawForm, "withdraw_form", call)


@login_required
@post_only_else_claim_page
def claim_accept(request, pk):
    def call(claim, data):
        claim = services.claim_accept(claim=claim, actor=request.user)
        if claim.payment_due_on:
            return _("You accepted the decision. Payment is due by the end of %(date)s (KST).") % {
                "date": claim.payment_due_on.isoformat()
            }
        return _("You accepted the decision.")

    return _act(request, pk, AcceptForm, "accept_form", call)


@login_required
@post_only_else_claim_page
def claim_object(request, pk):
    def call(claim, data):
        objection = services.claim_object(
            claim=claim, actor=request.user, reason=data["reason"], files=[(None, f) for f in data["files"]]
        )
        return _("Objection (round %(round)d) received. Review is due by the end of %(date)s (KST).") % {
            "round": objection.round,
            "date": objection.review_due_on.isoformat(),
        }

    return _act(request, pk, ObjectionForm, "objection_form", call)


@never_cache
@login_required
def document_download(request, pk, doc_pk):
    document = selectors.downloadable_document(request.user, pk, doc_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def exchange_account(request):
    """The user's linked exchange account, or the form that mails a link to the account's address."""
    linked = selectors.my_exchange_account(request.user)
    if request.method == "POST" and linked is None:
        try:
            services.exchange_account_request_link(actor=request.user, account_id=request.POST.get("account_id", ""))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "If the exchange holds an address for this account, a link was mailed there. "
                    "Open it while signed in to link the account."
                ),
            )
        return redirect("compensation:exchange_account")
    return render(request, "compensation/exchange_account.html", {"linked": linked})


@login_required
def account_link(request, token):
    """The signed link from the mail: confirm (POST) to link the exchange account to the signed-in user."""
    if request.method == "POST":
        try:
            account = services.exchange_account_link(actor=request.user, token=token)
        except DomainError as error:
            return render(request, "compensation/account_link.html", {"refusal": error.message}, status=400)
        messages.success(
            request,
            _("Exchange account %(account)s is linked; its compensation is listed below.")
            % {"account": account.account_id},
        )
        return redirect("compensation:claim_list")
    return render(request, "compensation/account_link.html", {"refusal": None})


REFUSAL_STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403}


def _assisted_page(request, token, *, correction_form=None, refusal=None, status=200):
    context = {"refusal": refusal, "correction_form": correction_form or CorrectionRequestForm(), "token": token}
    if refusal is None:
        try:
            context["claim"], context["intake"] = selectors.assisted_claim_for_link(request.user, token)
        except DomainError as error:
            context["refusal"] = error.message
            status = REFUSAL_STATUS.get(error.code, 400)
    return render(request, "compensation/assisted_confirm.html", context, status=status)


@never_cache
@login_required
def assisted_confirm(request, token):
    """The signed link of a claim staff recorded for the user: show it; confirm it or ask for a correction."""
    if request.method != "POST":
        return _assisted_page(request, token)
    correcting = request.POST.get("action") == "correct"
    form = CorrectionRequestForm(request.POST) if correcting else None
    if form is not None and not form.is_valid():
        return _assisted_page(request, token, correction_form=form, status=400)
    try:
        if correcting:
            claim = services.assisted_claim_request_correction(
                actor=request.user, token=token, text=form.cleaned_data["text"]
            )
            message = _("Thank you. Staff will correct your claim and mail it to you again to confirm.")
        else:
            claim = services.assisted_claim_confirm(actor=request.user, token=token)
            message = _("You confirmed claim %(number)s. It is now reviewed.") % {"number": claim.number}
    except DomainError as error:
        status = REFUSAL_STATUS.get(error.code, 400)
        if status != 400:
            return _assisted_page(request, token, status=status)
        return _assisted_page(request, token, correction_form=form, refusal=error.message, status=400)
    messages.success(request, message)
    return redirect("compensation:claim_detail", pk=claim.pk)


def coverage_public(request):
    """The coverage in force, disclosed to users (seed 003: 보험/공제 증권 또는 준비금 공시)."""
    snapshot, policies = coverage_in_force(today_kst())
    return render(request, "compensation/coverage_public.html", {"snapshot": snapshot, "policies": policies})
