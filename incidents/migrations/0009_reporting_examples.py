"""Example reportability criteria and report deadline rules, marked as examples.

The seeds fix no reporting deadline and no checklist, so nothing here is law: compliance
confirms each row (untick "example row") or replaces it. Reports name the rule they used.
"""

from django.db import migrations

CRITERIA = [
    "이용자의 거래·입출금·로그인이 30분 이상 중단되거나 지연되었다",
    "이용자 자산(가상자산·예치금)에 손실이 생겼거나 생길 우려가 있다",
    "해킹 등 침해사고이거나 그 의심이 있다",
    "이용자의 입출금을 차단했다 (가상자산이용자보호법 시행령상 정당한 사유)",
    "이용자 피해보상이 필요한 상황이다 (DAXA 모범규준)",
    "언론 보도나 다수 민원이 있다",
]
EXAMPLE_BASIS = "예시 규칙: 감독당국의 보고기준을 확인하여 확정하거나 바꾸십시오"
RULES = [
    # kind, incident_type, anchor, hours, business days
    ("initial", "", "detected", 24, None),
    ("initial", "hacking", "detected", 12, None),
    ("interim", "", "reportable", None, 5),
    ("final", "", "ended", None, 30),
    ("other", "", "reportable", None, 10),
]


def add_examples(apps, schema_editor):
    Criterion = apps.get_model("incidents", "ReportabilityCriterion")
    Rule = apps.get_model("incidents", "ReportDeadlineRule")
    if not Criterion.objects.exists():
        Criterion.objects.bulk_create(
            Criterion(text=text, position=10 * (i + 1), is_example=True) for i, text in enumerate(CRITERIA)
        )
    if not Rule.objects.exists():
        Rule.objects.bulk_create(
            Rule(
                kind=kind,
                incident_type=incident_type,
                anchor=anchor,
                offset_hours=hours,
                offset_business_days=days,
                basis=EXAMPLE_BASIS,
                is_example=True,
            )
            for kind, incident_type, anchor, hours, days in RULES
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0008_reporting")]

    operations = [migrations.RunPython(add_examples, migrations.RunPython.noop)]
