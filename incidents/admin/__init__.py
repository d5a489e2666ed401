# Incident, notice draft and notice version admins live in their own module.
# Holidays (list by year, sync from the package, year calendar) live in their own module.
from incidents.admin.holidays import HolidayAdmin, HolidayChangeAdmin  # noqa: F401
from incidents.admin.incidents import IncidentAdmin, NoticeAdmin, NoticeVersionAdmin  # noqa: F401
