# Incident, notice draft and notice version admins live in their own module.
# Holidays (list by year, sync from the package, year calendar) live in their own module.
from incidents.admin.holidays import HolidayAdmin, HolidayChangeAdmin  # noqa: F401
from incidents.admin.incidents import IncidentAdmin, NoticeAdmin, NoticeVersionAdmin  # noqa: F401
from incidents.admin.reporting import IncidentReportAdmin, reporting_link  # noqa: F401
from incidents.panels import register_admin_links

register_admin_links(reporting_link)
