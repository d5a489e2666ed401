"""Claimant forms. They check shape only; the services decide (intake open, duplicates, file contents)."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from compensation.models import DamageType, Method, PayoutMethod, TradeSide
from incidents.bounds import BoundedFormMixin

# What the browser's file picker offers; the real check is by content in `documents.validate_upload`.
ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
TRADING_DAMAGE_TYPES = (DamageType.MISSED_TRADE, DamageType.WRONG_PRICE)
TRADING_FIELDS = ("asset", "side", "quantity", "intended_price_krw", "intended_at")
MAX_KRW = 10**15


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        # Empty files reach the service, whose message names the file.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def is_trading_policy(policy):
    return policy.method == Method.PRICE_DIFFERENCE or policy.damage_type in TRADING_DAMAGE_TYPES


class ClaimForm(BoundedFormMixin, forms.Form):
    # Generated when the form is first shown; a retry or double click sends the same key.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    amount_claimed_krw = forms.IntegerField(
        label=_("Amount claimed (KRW)"),
        min_value=0,
        max_value=MAX_KRW,
        help_text=_("Whole won, digits only, e.g. 300000."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "0"}),
    )
    asset = forms.CharField(label=_("Asset"), max_length=20, required=False, help_text=_("e.g. BTC"))
    side = forms.ChoiceField(label=_("Order side"), choices=[("", "—")] + TradeSide.choices, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=38,
        decimal_places=18,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    intended_price_krw = forms.IntegerField(
        label=_("Intended price (KRW)"),
        min_value=0,
        max_value=MAX_KRW,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "min": "0"}),
    )
    intended_at = forms.DateTimeField(
        label=_("Intended order time (KST)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("When, what you tried to do, and what went wrong."),
    )
    payout_method = forms.ChoiceField(label=_("Pay compensation to"), choices=PayoutMethod.choices)
    payout_account = forms.CharField(
        label=_("Bank account or wallet"),
        max_length=200,
        help_text=_("Bank name and account number, or your exchange wallet address."),
    )

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.trading = is_trading_policy(policy)
        if not self.trading:
            for name in TRADING_FIELDS:
                del self.fields[name]
        elif policy.method == Method.PRICE_DIFFERENCE:
            # The amount is |intended − executable price| × quantity: without these it cannot be sized.
            for name in ("asset", "side", "quantity", "intended_price_krw"):
                self.fields[name].required = True
        self.document_fields = []
        for requirement in policy.required_documents.all():
            name = f"doc_{requirement.pk}"
            # Not required: a claim is never lost to a missing document (issue 13); it is filed with the
            # missing list and the claimant is asked for it in review.
            help_text = _("Required. If you cannot attach it now, file anyway: we will ask you for it.")
            self.fields[name] = forms.FileField(
                label=requirement.name,
                help_text=f"{requirement.description} {help_text}".strip(),
                required=False,
                allow_empty_file=True,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            )
            self.document_fields.append(name)
        self.fields["doc_extra"] = MultipleFileField(
            label=_("Other documents (optional)"),
            required=False,
            help_text=_("You may choose several files."),
        )

    def document_bound_fields(self):
        return [self[name] for name in self.document_fields] + [self["doc_extra"]]

    def trading_bound_fields(self):
        return [self[name] for name in TRADING_FIELDS if name in self.fields]

    def service_kwargs(self):
        data = self.cleaned_data
        kwargs = {
            "idempotency_key": data["idempotency_key"],
            "amount_claimed_krw": data["amount_claimed_krw"],
            "description": data["description"],
            "payout_method": data["payout_method"],
            "payout_account": data["payout_account"],
        }
        if self.trading:
            kwargs.update(
                asset=data["asset"].strip().upper(),
                side=data["side"],
                quantity=data["quantity"],
                intended_price_krw=data["intended_price_krw"],
                intended_at=data["intended_at"],
            )
        return kwargs


class SupplementForm(forms.Form):
    """Documents for a claim: one field per required document still missing (named beside it), and more."""

    files = MultipleFileField(
        label=_("Other documents"), required=False, help_text=_("PDF, PNG or JPEG, up to 10 MB each.")
    )
    note = forms.CharField(
        label=_("Note for the reviewer (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, missing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.missing = list(missing)
        for doc in self.missing:
            self.fields[f"doc_{doc['id']}"] = forms.FileField(
                label=_("Missing: %(name)s") % {"name": doc["name"]},
                required=False,
                help_text=_("Still needed for your claim. PDF, PNG or JPEG, up to 10 MB."),
            )
        self.order_fields([*(f"doc_{doc['id']}" for doc in self.missing), "files", "note"])

    def missing_fields(self):
        return [self[f"doc_{doc['id']}"] for doc in self.missing]

    def documents(self):
        """(required document id or None, upload) pairs for the service."""
        pairs = [(doc["id"], self.cleaned_data[f"doc_{doc['id']}"]) for doc in self.missing]
        pairs = [(req, upload) for req, upload in pairs if upload]
        return pairs + [(None, upload) for upload in self.cleaned_data.get("files") or []]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.documents():
            raise forms.ValidationError(_("Choose at least one document."))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn claim is no longer reviewed."),
        required=True,
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )


class AcceptForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I accept this decision and give up further objections."),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you accept.")},
    )


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you object?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Explain why you object to the decision.")},
    )
    files = MultipleFileField(
        label=_("Supporting documents (optional)"), required=False, help_text=_("PDF, PNG or JPEG, up to 10 MB each.")
    )


class CorrectionRequestForm(forms.Form):
    """What the user says is wrong in a claim staff recorded for them."""

    text = forms.CharField(
        label=_("What is not right, and what should it say?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write what is not right and what it should say.")},
    )


class LoginForm(AllauthLoginForm):
    """allauth's login form without the password field's own “Forgot your password?” link (the page has one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""
