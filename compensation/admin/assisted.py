"""Staff-assisted intake in the admin: "Record a claim for a caller / 전화·방문 접수".

Two steps on one page: choose the incident (taking claims) and the damage type, then the portal's
claim form (the same fields, bounds and messages: `compensation.forms.ClaimForm`) with who called,
how and how their identity was checked. The service writes; a refusal keeps what was typed.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from compensation import permissions, selectors, services
from compensation.forms import ClaimForm
from compensation.models import (
    AssistedChannel,
    CompensationPolicy,
    Confirmation,
    IdentityMethod,
    PayoutMethod,
    TradeSide,
)
from compensation.permissions import Action
from incidents import roles
from incidents.bounds import BoundedFormMixin
from incidents.errors import DomainError
from incidents.kst import today_kst
from incidents.models import Incident, IncidentState


def may_record(user):
    return roles.has_role(user, *permissions.staff_roles_for(Action.RECORD_ASSISTED))


class ChooseForm(forms.Form):
    """Step one: which incident and damage type the caller claims for."""

    incident = forms.ModelChoiceField(label=_("Incident"), queryset=Incident.objects.none())
    policy = forms.ModelChoiceField(label=_("Damage type"), queryset=CompensationPolicy.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.filter(
            state=IncidentState.NOTICE_POSTED, intake_ends_on__gte=today_kst()
        ).order_by("-started_at")
        self.fields["policy"].queryset = CompensationPolicy.objects.filter(is_active=True).order_by(
            "incident_type", "damage_type"
        )

    def clean(self):
        data = super().clean()
        incident, policy = data.get("incident"), data.get("policy")
        if incident and policy and policy.incident_type != incident.incident_type:
            raise forms.ValidationError(_("This damage type does not apply to this incident's type."))
        return data


class AssistedClaimForm(ClaimForm):
    """The portal's claim form (same fields and bounds) plus who called, how, and the identity check.

    No documents: the claim is filed with the policy's list of missing ones and review asks the user.
    """

    email = forms.EmailField(
        label=_("Caller's email address"),
        max_length=254,
        required=False,
        help_text=_("The confirmation link is mailed here; a portal user with this address gets the claim."),
    )
    account_id = forms.CharField(
        label=_("Exchange account id"),
        max_length=64,
        required=False,
        help_text=_("From the exchange's account list; its address is used when it has one."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=AssistedChannel.choices)
    identity_method = forms.ChoiceField(label=_("Identity check"), choices=IdentityMethod.choices)
    identity_note = forms.CharField(
        label=_("Identity check note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you checked (never the ID number itself). Required for “Other”."),
    )

    field_order = ["email", "account_id", "channel", "identity_method", "identity_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [*self.document_fields, "doc_extra"]:
            del self.fields[name]
        self.document_fields = []
        self.fields["description"].help_text = _("In the caller's words: when, what they tried, what went wrong.")
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        if not (data.get("email") or "").strip() and not (data.get("account_id") or "").strip():
            raise forms.ValidationError(_("Enter the caller's email address or exchange account id."))
        return data

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            **{name: data[name] for name in ("email", "account_id", "channel", "identity_method", "identity_note")},
        }


def _chosen(request):
    """The (incident, policy) step one chose, from the query string; (None, form with errors) when not."""
    choose = ChooseForm(request.GET if request.GET else None)
    if choose.is_bound and choose.is_valid():
        return choose.cleaned_data["incident"], choose.cleaned_data["policy"], choose
    return None, None, choose


def record_view(model_admin, request):
    """GET: choose, then the form; POST: record through the service, or show the form again with the errors."""
    if not may_record(request.user):
        raise PermissionDenied
    incident, policy, choose = _chosen(request)
    form, status = None, 200
    if policy is not None and request.method == "POST":
        form = AssistedClaimForm(request.POST, policy=policy)
        if form.is_valid():
            try:
                claim = services.assisted_claim_record(
                    actor=request.user, incident=incident, policy=policy, **form.service_kwargs()
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                model_admin.message_user(
                    request,
                    _("Claim %(number)s recorded; %(email)s is mailed a link to confirm it.")
                    % {"number": claim.number, "email": claim.contact_email},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:compensation_claim_change", args=[claim.pk]))
        status = 400
    elif policy is not None:
        form = AssistedClaimForm(policy=policy, initial={"idempotency_key": uuid.uuid4()})
    return TemplateResponse(
        request,
        "admin/compensation/claim/assisted_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": _("Record a claim for a caller / 전화·방문 접수"),
            "opts": model_admin.opts,
            "choose": choose,
            "incident": incident,
            "policy": policy,
            "form": form,
        },
        status=status,
    )


class CorrectContentForm(BoundedFormMixin, forms.Form):
    """Staff correct what they recorded for a caller (each field as on the claim form); the user confirms again."""

    amount_claimed_krw = forms.IntegerField(label=_("Amount claimed (KRW)"), min_value=0, max_value=10**15)
    description = forms.CharField(label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    payout_method = forms.ChoiceField(label=_("Pay compensation to"), choices=PayoutMethod.choices)
    payout_account = forms.CharField(label=_("Bank account or wallet"), max_length=200)
    asset = forms.CharField(label=_("Asset"), max_length=20, required=False)
    side = forms.ChoiceField(label=_("Order side"), choices=[("", "—")] + TradeSide.choices, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=38, decimal_places=18, min_value=0, required=False)
    intended_price_krw = forms.IntegerField(
        label=_("Intended price (KRW)"), min_value=0, max_value=10**15, required=False
    )
    note = forms.CharField(
        label=_("What you corrected and why (the claimant's request, a second call…)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def correct_initial(claim, user):
    names = ("amount_claimed_krw", "description", "payout_method", "payout_account", "asset", "side", "quantity")
    return {name: getattr(claim, name) for name in (*names, "intended_price_krw")}


def correct_content(claim, user, data):
    if "asset" in data:
        data["asset"] = data["asset"].strip().upper()
    return services.assisted_claim_correct(claim=claim, actor=user, **data)


def require_unconfirmed(claim):
    """The resend button's guard: the link is mailed again only while the user has not confirmed."""
    if selectors.assisted_intake_of(claim).confirmation == Confirmation.CONFIRMED:
        raise DomainError(_("The claimant has already confirmed this claim."))
