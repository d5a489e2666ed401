"""Helpers for the portal view tests: an English-speaking client and a complete claim form."""

import uuid

from django.test import Client
from django.urls import reverse

from tests.compensation.factories import png_upload


def client_for(user=None):
    # English, so assertions do not depend on the Korean catalogue being compiled.
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def new_claim_url(incident, policy=None):
    url = f"{reverse('compensation:claim_new')}?incident={incident.pk}"
    return f"{url}&policy={policy.pk}" if policy is not None else url


def claim_form(policy, *, key=None, files=None, **overrides):
    data = {
        "idempotency_key": str(key or uuid.uuid4()),
        "amount_claimed_krw": "300000",
        "asset": "btc",
        "side": "buy",
        "quantity": "0.01",
        "intended_price_krw": "100000000",
        "intended_at": "2025-01-20T09:30",
        "description": "매수 주문이 체결되지 않았습니다 (typed by me)",
        "payout_method": "bank",
        "payout_account": "국민은행 123-456-789",
    }
    if files is None:
        files = {f"doc_{req.pk}": png_upload() for req in policy.required_documents.all()}
    data.update(files)
    data.update(overrides)
    return data


def detail_url(claim):
    return reverse("compensation:claim_detail", args=[claim.pk])
