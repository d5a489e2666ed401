# Incident, notice draft and notice version admins live in their own module.
from .admin_incidents import IncidentAdmin, NoticeAdmin, NoticeVersionAdmin  # noqa: F401

# Holidays (list by year, sync from the package, year calendar) live in their own module.
from .admin_holidays import HolidayAdmin  # noqa: F401
