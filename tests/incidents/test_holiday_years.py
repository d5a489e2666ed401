"""The holiday sync and the holiday admin agree on one range of years (incidents.bounds).

The admin used to sync from 1950 while its edit form refused dates before 2000: a synced 1990 row
could be listed but never saved again. Now every year the sync accepts is one the admin can show
and edit, and a year outside it is refused with a message before anything is written.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.bounds import MAX_YEAR, MIN_YEAR
from incidents.holiday_sync import sync_from_package
from incidents.models import Holiday
from tests.factories import ComplianceFactory

pytestmark = pytest.mark.django_db
SYNC = "admin:incidents_holiday_sync"


@pytest.fixture
def compliance(client):
    client.force_login(ComplianceFactory())
    return client


@pytest.mark.parametrize("years", [(1950, 1950), (MIN_YEAR - 1, MIN_YEAR), (MAX_YEAR, MAX_YEAR + 1)])
def test_the_admin_sync_refuses_years_the_admin_could_not_edit(compliance, years):
    response = compliance.post(reverse(SYNC), {"from_year": years[0], "to_year": years[1]})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Holiday.objects.filter(date__year__lt=MIN_YEAR).exists()
    assert not Holiday.objects.filter(date__year__gt=MAX_YEAR).exists()


def test_the_sync_itself_and_the_command_refuse_them_too():
    with pytest.raises(ValueError, match=f"{MIN_YEAR}"):
        sync_from_package(from_year=1950, to_year=1951)
    with pytest.raises(CommandError):
        call_command("sync_holidays", "--from-year", "1990", "--to-year", "1990", verbosity=0)
    assert not Holiday.objects.filter(date__year__lt=MIN_YEAR).exists()


@pytest.mark.parametrize("year", [MIN_YEAR, MAX_YEAR])
def test_every_row_synced_at_the_ends_of_the_range_can_be_listed_shown_and_edited(client, year):
    with time_machine.travel(datetime(year, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Seoul")), tick=False):
        compliance = client
        compliance.force_login(ComplianceFactory())  # here and now: a session from today would have expired
        response = compliance.post(reverse(SYNC), {"from_year": year, "to_year": year})
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("admin:incidents_holiday_changelist")
        )
        rows = list(Holiday.objects.filter(date__year=year).order_by("date"))
        assert rows
        listing = compliance.get(reverse("admin:incidents_holiday_changelist"), {"year": str(year)})
        assert listing.status_code == 200 and {row.date.year for row in listing.context["cl"].result_list} == {year}
        assert compliance.get(reverse("admin:incidents_holiday_year", args=[year])).status_code == 200
        row = rows[-1]  # a day still ahead: the edit applies at once
        assert row.date > date(year, 1, 1)
        page = compliance.get(reverse("admin:incidents_holiday_change", args=[row.pk]))
        assert page.status_code == 200
        response = compliance.post(
            reverse("admin:incidents_holiday_change", args=[row.pk]),
            {"date": row.date.isoformat(), "name": row.name + " (확인)", "kind": row.kind, "reason": "명칭 확인"},
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        row.refresh_from_db()
        assert row.name.endswith("(확인)") and row.source == "staff"
