"""Demo data for `make run`: staff of each role, two claimants, an incident with an open intake.

Idempotent: users are matched by email (their passwords reset to the printed ones), the
demo incidents by title. Everything goes through the services, as staff would do it.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation

from compensation import demo
from incidents import roles, services
from incidents.models import Incident, IncidentState, IncidentType, Severity

DEMO_PASSWORD = "demo-pass-2025"

# (key, email, role group or None, is_superuser)
DEMO_USERS = (
    ("admin", "admin@demo.test", None, True),
    ("compliance", "compliance@demo.test", roles.COMPLIANCE, False),
    ("supervisor", "supervisor@demo.test", roles.SUPERVISOR, False),
    ("agent", "agent@demo.test", roles.AGENT, False),
    ("user1", "user1@demo.test", None, False),
    ("user2", "user2@demo.test", None, False),
)

OPEN_TITLE = "[데모] KRW 마켓 주문 체결 지연"
DRAFT_TITLE = "[데모] BTC 출금 지연 (공지 작성 중)"


class Command(BaseCommand):
    help = "Create or refresh the demo users and incidents (safe to run repeatedly)."

    def handle(self, *args, **options):
        # Texts the services store (event reasons, "first publication") in the site language.
        with translation.override(settings.LANGUAGE_CODE):
            self._load()

    def _load(self):
        with transaction.atomic():
            users = self._users()
        demo.policies()  # a notice is published only when a policy applies to the incident
        incident = self._open_incident(users["compliance"])
        self._draft_incident(users["compliance"])
        self._compensation_demo(incident, users)
        self._print_logins()

    def _users(self):
        User = get_user_model()
        users = {}
        for key, email, role, superuser in DEMO_USERS:
            user, _created = User.objects.get_or_create(username=email, defaults={"email": email})
            user.email = email
            user.is_active = True
            user.is_superuser = superuser
            user.is_staff = superuser or role is not None
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role is not None:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            self._verify_email(user)
            users[key] = user
        return users

    def _verify_email(self, user):
        # With mandatory email verification a demo claimant could not sign in otherwise.
        if not apps.is_installed("allauth.account"):
            return
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})

    def _open_incident(self, actor):
        incident = Incident.objects.filter(title=OPEN_TITLE).first()
        if incident is None:
            started = timezone.now().replace(second=0, microsecond=0) - timedelta(days=3)
            incident = services.incident_create(
                actor=actor,
                title=OPEN_TITLE,
                incident_type=IncidentType.ORDER_FAILURE,
                severity=Severity.MAJOR,
                affected_services="KRW 마켓 주문·체결",
                started_at=started,
                ended_at=started + timedelta(hours=1, minutes=40),
                detected_at=started + timedelta(minutes=6),
                root_cause="주문 처리 서버의 데이터베이스 연결 풀 고갈",
                actions_taken="연결 풀 확장, 주문 처리 서버 재시작, 모니터링 임계치 조정",
                estimated_affected_users=18_400,
            )
        if incident.state == IncidentState.DETECTED:
            services.notice_save_draft(
                incident=incident,
                actor=actor,
                description=(
                    "KRW 마켓에서 약 1시간 40분 동안 주문이 접수되었으나 체결되지 않거나 "
                    "지연되었습니다. 이용에 불편을 드려 죄송합니다."
                ),
                claim_procedure=(
                    "로그인 후 [보상 신청] 메뉴에서 신청서를 작성하고, 주문 화면 캡처 또는 "
                    "거래 내역을 첨부해 주십시오. 접수 후 15영업일 이내에 보상 여부와 금액, "
                    "지급 예정일을 알려 드립니다."
                ),
                intake_period_note="사고 발생일 다음 날부터 1개월간 접수합니다.",
                compensation_criteria=(
                    "주문 시점 가격과 체결 가능 가격의 차액 × 수량을 보상합니다 "
                    "(1건당 최대 500만 원). 정신적 피해, 이용자 기기·통신 문제, 천재지변은 "
                    "제외됩니다."
                ),
            )
            services.notice_publish(
                incident=incident,
                actor=actor,
                delay_reason="장애 원인 확인과 보상 기준 확정에 시간이 걸렸습니다.",
            )
            incident.refresh_from_db()
        self.stdout.write(
            f"Incident #{incident.pk} “{incident.title}”: {incident.get_state_display()}, "
            f"intake until {incident.intake_ends_on}"
        )
        return incident

    def _draft_incident(self, actor):
        # A second, unpublished incident so staff can try the notice editor and its preview.
        if Incident.objects.filter(title=DRAFT_TITLE).exists():
            return
        started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=5)
        incident = services.incident_create(
            actor=actor,
            title=DRAFT_TITLE,
            incident_type=IncidentType.DEPOSIT_WITHDRAWAL_DELAY,
            severity=Severity.MINOR,
            affected_services="BTC 출금",
            started_at=started,
            detected_at=started + timedelta(minutes=20),
        )
        services.notice_save_draft(
            incident=incident,
            actor=actor,
            description="BTC 출금 처리가 약 2시간 지연되었습니다.",
        )

    def _compensation_demo(self, incident, users):
        demo.load(stdout=self.stdout, incident=incident, users=users)

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for _key, email, role, superuser in DEMO_USERS:
            kind = "superuser" if superuser else (f"staff · {role}" if role else "claimant")
            self.stdout.write(f"  {email:<24} {kind}")
