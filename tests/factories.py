from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents import roles
from incidents.models import Holiday, Incident, IncidentType, Notice, Severity

KST = ZoneInfo("Asia/Seoul")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda o: o.username)
    password = factory.django.Password("pw-Secret-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            add_role(self, extracted)


def add_role(user, role_name):
    group, _ = Group.objects.get_or_create(name=role_name)
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_role_names", None)
    return user


def with_role(role_name):
    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            add_role(obj, extracted or role_name)

    return role


class AgentFactory(UserFactory):
    role = with_role(roles.AGENT)


class SupervisorFactory(UserFactory):
    role = with_role(roles.SUPERVISOR)


class ComplianceFactory(UserFactory):
    role = with_role(roles.COMPLIANCE)


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident in `detected` with an empty notice draft (as `incident_create` makes it)."""

    class Meta:
        model = Incident
        skip_postgeneration_save = True  # the related notice needs no second save of the incident

    title = factory.Sequence(lambda n: f"주문 장애 #{n}")
    incident_type = IncidentType.ORDER_FAILURE
    severity = Severity.MAJOR
    affected_services = "KRW 마켓 주문"
    started_at = factory.LazyFunction(lambda: datetime(2025, 1, 20, 9, 0, tzinfo=KST))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(hours=2))
    detected_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=5))
    root_cause_category = "capacity"
    root_cause = "트래픽 폭증"
    actions_taken = "서버 증설"
    estimated_affected_users = 1200
    notice = factory.RelatedFactory("tests.factories.NoticeFactory", factory_related_name="incident")


class NoticeFactory(factory.django.DjangoModelFactory):
    """A complete draft: all four sections the DAXA rules name."""

    class Meta:
        model = Notice
        django_get_or_create = ("incident",)

    incident = factory.SubFactory(IncidentFactory, notice=None)
    description = "2025-01-20 09:00부터 11:00까지 KRW 마켓 주문이 체결되지 않았습니다."
    claim_procedure = "로그인 후 [보상 신청] 메뉴에서 신청서를 작성하고 거래 내역을 첨부하세요."
    intake_period_note = "사고 발생일로부터 1개월 이상 접수합니다."
    compensation_criteria = "주문 시점 가격과 체결 가능 가격의 차액 × 수량, 1건당 최대 500만원."


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("date",)

    name = "임시공휴일"
    kind = "public"
    source = "staff"


def publish_on_time(incident, actor, **kwargs):
    """Publish the notice an hour after detection (on time: no delay reason, intake from the incident date).

    Travels there and back, so it works inside a test that travels itself.
    """
    import time_machine

    from incidents import services

    with time_machine.travel(incident.detected_at + timedelta(hours=1), tick=False):
        return services.notice_publish(incident=incident, actor=actor, **kwargs)
