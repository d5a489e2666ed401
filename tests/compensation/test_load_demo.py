from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from compensation.management.commands.load_demo import DEMO_PASSWORD, OPEN_TITLE
from incidents import roles
from incidents.models import Incident, IncidentState


def run():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_the_logins():
    first = run()
    counts = (get_user_model().objects.count(), Incident.objects.count())
    second = run()

    assert (get_user_model().objects.count(), Incident.objects.count()) == counts
    for output in (first, second):
        assert DEMO_PASSWORD in output
        for email in (
            "admin@demo.test",
            "agent@demo.test",
            "supervisor@demo.test",
            "compliance@demo.test",
            "user1@demo.test",
            "user2@demo.test",
        ):
            assert email in output


@pytest.mark.django_db
def test_demo_incident_has_an_open_intake_and_staff_have_their_roles():
    run()
    incident = Incident.objects.get(title=OPEN_TITLE)
    assert incident.state == IncidentState.NOTICE_POSTED
    assert incident.intake_is_open()
    User = get_user_model()
    assert roles.has_role(User.objects.get(username="agent@demo.test"), roles.AGENT)
    assert not roles.has_role(User.objects.get(username="agent@demo.test"), roles.SUPERVISOR)
    assert User.objects.get(username="admin@demo.test").is_superuser
    claimant = User.objects.get(username="user1@demo.test")
    assert not claimant.is_staff
    assert claimant.check_password(DEMO_PASSWORD)
