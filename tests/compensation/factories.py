import io
import uuid

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from compensation import services
from compensation.models import Claim, ClaimState, CompensationPolicy, DamageType, Method, RequiredDocument
from compensation.services import uploads
from incidents.models import IncidentType
from tests.factories import (
    AgentFactory,
    ComplianceFactory,
    IncidentFactory,
    SupervisorFactory,
    UserFactory,
    publish_on_time,
)


def _png_bytes():
    # Made by Pillow, so re-encoding on upload gives the same bytes back.
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG", **uploads.SAVE_OPTIONS["PNG"])
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


# How a claim reaches each state through the services (what a real claim goes through).
STEPS = {
    ClaimState.SUBMITTED: [],
    ClaimState.IN_REVIEW: ["review"],
    ClaimState.SUPPLEMENT_REQUESTED: ["review", "supplement"],
    ClaimState.AWAITING_APPROVAL: ["review", "big_decision"],
    ClaimState.DECIDED: ["review", "decide"],
    ClaimState.OBJECTED: ["review", "decide", "object"],
    ClaimState.ACCEPTED: ["review", "decide", "accept"],
    ClaimState.PAID: ["review", "decide", "accept", "pay"],
    ClaimState.CLOSED: ["review", "decide", "accept", "pay", "close"],
    ClaimState.WITHDRAWN: ["withdraw"],
}


def _step(name, claim, *, owner, agent, supervisor):
    {
        "review": lambda: services.claim_start_review(claim=claim, actor=agent),
        "supplement": lambda: services.claim_request_supplement(claim=claim, actor=agent, missing="거래내역서"),
        "big_decision": lambda: services.claim_decide(
            claim=claim, actor=supervisor, approved=True, amount_krw=2_000_000, reasons="산정"
        ),
        "decide": lambda: services.claim_decide(
            claim=claim, actor=agent, approved=True, amount_krw=200_000, reasons="차액 보상"
        ),
        "object": lambda: services.claim_object(claim=claim, actor=owner, reason="부족"),
        "accept": lambda: services.claim_accept(claim=claim, actor=owner),
        "pay": lambda: services.payment_record(
            claim=claim, actor=supervisor, amount_krw=200_000, method="bank_transfer", reference=f"TX-{claim.pk}"
        ),
        "close": lambda: services.claim_close(claim=claim, actor=supervisor),
        "withdraw": lambda: services.claim_withdraw(claim=claim, actor=owner),
    }[name]()


class ClaimFactory(factory.Factory):
    """A claim filed through `claim_submit`, then driven through the services into `state`.

    No row is written behind the services' back, so every claim it makes has the event rows,
    deadlines and outbox rows a real one has. `ClaimFactory(state=ClaimState.PAID)`.
    """

    class Meta:
        model = Claim

    incident = factory.LazyFunction(open_incident)
    policy = factory.LazyAttribute(lambda o: ensure_policy(o.incident.incident_type))
    claimant = factory.SubFactory(UserFactory)
    agent = factory.SubFactory(AgentFactory)
    supervisor = factory.SubFactory(SupervisorFactory)
    state = ClaimState.SUBMITTED

    @classmethod
    def _create(cls, model_class, *, incident, policy, claimant, agent, supervisor, state, **overrides):
        claim = services.claim_submit(actor=claimant, **submit_kwargs(incident=incident, policy=policy, **overrides))
        for name in STEPS[state]:
            _step(name, claim, owner=claimant, agent=agent, supervisor=supervisor)
        claim = model_class.objects.get(pk=claim.pk)
        assert claim.state == state, (claim.state, state)
        return claim


def record_assisted(world, **overrides):
    """A claim staff record for a caller (`services.assisted_claim_record`) by `world.agent`: the
    content of `submit_kwargs`, without files, plus the channel and the identity check."""
    assisted = dict(
        actor=world.agent,
        channel="phone",
        identity_method="callback",
        identity_note="본인인증 콜백 완료",
        email="caller@example.com",
        amount_claimed_krw=250_000,
        description="전화 접수: 매수 주문이 체결되지 않았습니다.",
    )
    data = submit_kwargs(incident=world.incident, policy=world.policy, **{**assisted, **overrides})
    del data["files"]
    return services.assisted_claim_record(**data)
