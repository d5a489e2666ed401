import io
import uuid

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from compensation.models import CompensationPolicy, DamageType, Method, RequiredDocument
from incidents.models import IncidentType
from tests.factories import ComplianceFactory, IncidentFactory, publish_on_time


def _png_bytes():
    # Made by Pillow, so re-encoding on upload gives the same bytes back.
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG", optimize=False)
    return out.getvalue()


def _pdf_bytes():
    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(out)
    return out.getvalue()


PNG_BYTES = _png_bytes()
PDF_BYTES = _pdf_bytes()


def png_upload(name="screenshot.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def pdf_upload(name="history.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationPolicy

    incident_type = IncidentType.ORDER_FAILURE
    damage_type = DamageType.MISSED_TRADE
    name = "주문 장애 × 미체결 손해"
    criteria = "주문 시점 가격과 체결 가능 가격의 차액 × 수량"
    method = Method.PRICE_DIFFERENCE
    cap_krw = 5_000_000
    exclusions = ["mental_damage", "user_device", "force_majeure"]


class RequiredDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredDocument

    policy = factory.SubFactory(PolicyFactory)
    name = "주문 화면 캡처"
    description = "주문하려던 화면 또는 오류 메시지 캡처"


def ensure_policy(incident_type=IncidentType.ORDER_FAILURE):
    """An active policy for the incident type (a notice cannot be published without one)."""
    existing = CompensationPolicy.objects.filter(incident_type=incident_type, is_active=True).first()
    return existing or PolicyFactory(incident_type=incident_type)


def open_incident(**kwargs):
    """An incident whose notice is published (intake open now); a policy is created if none applies."""
    from django.utils import timezone

    kwargs.setdefault("started_at", timezone.now() - timezone.timedelta(days=2))
    incident = IncidentFactory(**kwargs)
    ensure_policy(incident.incident_type)
    publish_on_time(incident, ComplianceFactory())
    incident.refresh_from_db()
    return incident


def submit_kwargs(*, incident, policy, **overrides):
    data = dict(
        incident=incident,
        policy=policy,
        idempotency_key=uuid.uuid4(),
        amount_claimed_krw=300_000,
        description="주문이 체결되지 않았습니다.",
        payout_method="bank",
        payout_account="국민은행 123-456-789",
        asset="BTC",
        side="buy",
        quantity="0.01",
        intended_price_krw=100_000_000,
        files=[(req, png_upload()) for req in policy.required_documents.all()],
    )
    data.update(overrides)
    return data
