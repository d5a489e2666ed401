"""Demo policies and claims for `make run` (called by `manage.py load_demo`); idempotent."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from compensation import services
from compensation.models import Claim, CompensationPolicy, DamageType, Method, RequiredDocument
from incidents.models import IncidentType


def _demo_png():
    """A real picture: uploads are decoded and re-encoded, so the demo documents must open."""
    out = io.BytesIO()
    Image.new("RGB", (64, 40), (240, 240, 240)).save(out, format="PNG")
    return out.getvalue()


PNG_1X1 = _demo_png()

POLICIES = [
    dict(
        incident_type=IncidentType.ORDER_FAILURE,
        damage_type=DamageType.MISSED_TRADE,
        name="주문 장애 × 미체결 손해 (Order failure × missed trade)",
        criteria="주문 시점 가격과 체결 가능 가격의 차액 × 수량, 1건당 최대 500만 원.",
        method=Method.PRICE_DIFFERENCE,
        cap_krw=5_000_000,
        documents=[("주문 화면 캡처", "주문하려던 화면 또는 오류 메시지 캡처 (PNG/JPEG/PDF)")],
    ),
    dict(
        incident_type=IncidentType.ORDER_FAILURE,
        damage_type=DamageType.EXCESS_FEE,
        name="주문 장애 × 중복 수수료 (Order failure × excess fees)",
        criteria="장애로 중복 부과된 거래 수수료 전액 환급, 1건당 최대 200만 원.",
        method=Method.FEE_REFUND,
        cap_krw=2_000_000,
        documents=[("거래 내역서", "수수료가 표시된 거래 내역 (PDF)")],
    ),
    dict(
        incident_type=IncidentType.DEPOSIT_WITHDRAWAL_DELAY,
        damage_type=DamageType.DELAYED_FUNDS,
        name="입출금 지연 × 자금 지연 (Delayed funds)",
        criteria="지연 금액 × 연 3.5% × 지연 일수 / 365, 1건당 최대 100만 원.",
        method=Method.INTEREST,
        cap_krw=1_000_000,
        annual_interest_rate_bp=350,
        documents=[],
    ),
]


def policies():
    result = {}
    for spec in POLICIES:
        spec = dict(spec)
        documents = spec.pop("documents")
        policy, created = CompensationPolicy.objects.get_or_create(
            incident_type=spec["incident_type"],
            damage_type=spec["damage_type"],
            is_active=True,
            defaults={**spec, "exclusions": ["mental_damage", "user_device", "force_majeure"]},
        )
        if created:
            for position, (name, description) in enumerate(documents):
                RequiredDocument.objects.create(policy=policy, name=name, description=description, position=position)
        result[spec["damage_type"]] = policy
    return result


def _file(policy):
    return [
        (req, SimpleUploadedFile("capture.png", PNG_1X1, content_type="image/png"))
        for req in policy.required_documents.all()
    ]


def _submit(user, incident, policy, **extra):
    return services.claim_submit(
        actor=user,
        incident=incident,
        policy=policy,
        idempotency_key=uuid.uuid4(),
        description=extra.pop("description"),
        payout_method="bank",
        payout_account="국민은행 123-456-7890",
        files=_file(policy),
        **extra,
    )


def _claim_in_review(users, incident, policy):
    """user1's missed BTC buy, assessed by the agent and waiting for a decision."""
    claim = _submit(
        users["user1"],
        incident,
        policy,
        amount_claimed_krw=350_000,
        asset="BTC",
        side="buy",
        quantity=Decimal("0.005"),
        intended_price_krw=98_000_000,
        description="매수 주문이 10분간 체결되지 않아 더 높은 가격에 매수했습니다.",
    )
    services.claim_start_review(claim=claim, actor=users["agent"])
    services.claim_record_assessment(
        claim=claim, actor=users["agent"], reference_price_krw=98_600_000, reason="주문 로그 및 체결가 데이터"
    )
    return claim


def _claim_decided(users, incident, policy):
    """user2's refused ETH sell, decided by the agent: user2 may object."""
    agent = users["agent"]
    claim = _submit(
        users["user2"],
        incident,
        policy,
        amount_claimed_krw=500_000,
        asset="ETH",
        side="sell",
        quantity=Decimal("0.8"),
        intended_price_krw=5_200_000,
        description="매도 주문이 거부되었습니다.",
    )
    services.claim_start_review(claim=claim, actor=agent)
    services.claim_record_assessment(
        claim=claim, actor=agent, reference_price_krw=4_950_000, reason="주문 로그 및 체결가 데이터"
    )
    services.claim_decide(
        claim=claim,
        actor=agent,
        approved=True,
        amount_krw=200_000,
        reasons="주문 시점 가격과 체결 가능 가격의 차액 × 수량으로 산정했습니다.",
    )
    return claim


def _claim_awaiting_approval(users, incident, policy):
    """user2's double fees, decided above the four-eyes limit by one supervisor: a second one approves."""
    supervisor = users["supervisor"]
    claim = _submit(
        users["user2"],
        incident,
        policy,
        amount_claimed_krw=1_500_000,
        description="장애 중 재주문으로 수수료가 중복 부과되었습니다.",
    )
    services.claim_start_review(claim=claim, actor=supervisor)
    services.claim_record_assessment(claim=claim, actor=supervisor, fee_krw=1_450_000, reason="수수료 원장")
    services.claim_decide(
        claim=claim,
        actor=supervisor,
        approved=True,
        amount_krw=1_450_000,
        reasons="중복 부과된 수수료 전액을 환급합니다.",
    )
    return claim


def _exchange_records(*, stdout, incident, users):
    """Market prices around the recovery (once the incident has ended) and the failed-order log."""
    supervisor = users["supervisor"]
    if incident.ended_at is not None:
        prices = _demo_prices(incident.ended_at)
        services.market_prices_import(incident=incident, actor=supervisor, csv_text=prices)
        stdout.write("Market prices: BTC and ETH by the minute around the recovery.")
    orders = _demo_order_log(incident.started_at, users)
    services.affected_orders_import(incident=incident, actor=supervisor, csv_text=orders)
    stdout.write("Order log: failed orders of user1, user2 and three users without an account yet.")


def load(*, stdout, incident, users):
    by_damage = policies()
    stdout.write(f"Policies: {', '.join(p.name for p in by_damage.values())}")
    if Claim.objects.filter(incident=incident).exists():
        stdout.write("Demo claims already present.")
        return
    missed, fees = by_damage[DamageType.MISSED_TRADE], by_damage[DamageType.EXCESS_FEE]
    waiting = _claim_in_review(users, incident, missed)
    decided = _claim_decided(users, incident, missed)
    big = _claim_awaiting_approval(users, incident, fees)
    _submit(users["user1"], incident, fees, amount_claimed_krw=12_000, description="수수료가 두 번 빠져나갔습니다.")
    recorded = _record_call(users["agent"], incident, missed)
    _exchange_records(stdout=stdout, incident=incident, users=users)
    stdout.write(
        f"Demo claims: {waiting.number} (in review), {decided.number} (decided, user2 may object), "
        f"{big.number} (awaiting second approval), one new claim, and {recorded.number} recorded by the agent for "
        f"a caller ({CALLER}: sign up with that address and open the link in the mail printed above to confirm it)."
    )


CALLER = "caller@demo.test"


def _record_call(agent, incident, policy):
    """A claim the agent took by phone for someone without a portal account: held for their address."""
    return services.assisted_claim_record(
        actor=agent,
        incident=incident,
        policy=policy,
        idempotency_key=uuid.uuid4(),
        channel="phone",
        identity_method="callback",
        identity_note="본인인증 콜백 완료",
        email=CALLER,
        amount_claimed_krw=80_000,
        asset="BTC",
        side="buy",
        quantity=Decimal("0.001"),
        intended_price_krw=98_500_000,
        description="전화 접수: 장애 중 매수 주문이 체결되지 않았습니다.",
        payout_method="bank",
        payout_account="신한은행 110-000-000000",
    )


def _demo_prices(recovered_at):
    """A small per-minute price file around the recovery, as the exchange's trade history would give."""
    lines = ["asset,traded_at,price_krw"]
    for minute in range(-5, 11):
        at = (recovered_at + timedelta(minutes=minute)).isoformat()
        lines.append(f"BTC,{at},{98_300_000 + 30_000 * minute}")
        lines.append(f"ETH,{at},{4_960_000 - 2_000 * minute}")
    return "\n".join(lines) + "\n"


def _demo_order_log(started_at, users):
    """Failed orders from the exchange's log: the demo users' and some from users yet to sign up."""
    rows = [
        ("user1", "BTC", "buy", "0.005", 98_000_000, 12),
        ("user2", "ETH", "sell", "0.8", 5_200_000, 20),
        ("user2", "ETH", "sell", "0.4", 5_190_000, 31),
    ]
    lines = ["order_id,email,asset,side,quantity,price_krw,attempted_at,error"]
    for n, (who, asset, side, quantity, price, minute) in enumerate(rows, start=1):
        at = (started_at + timedelta(minutes=minute)).isoformat()
        lines.append(
            f"DEMO-{n:04d},{users[who].email},{asset},{side},{quantity},{price},{at},E503 order gateway timeout"
        )
    for n in range(1, 4):
        at = (started_at + timedelta(minutes=5 * n)).isoformat()
        lines.append(
            f"DEMO-{100 + n:04d},trader{n}@example.com,BTC,buy,0.0{n},{98_100_000 + n * 1000},{at},"
            "E503 order gateway timeout"
        )
    return "\n".join(lines) + "\n"
