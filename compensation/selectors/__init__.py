"""Reads, set-based. `compensation.selectors.<name>` is the public entry point for each of them.

claims: one claim and the claims an import or a job works on; queues: deadlines and staff queues;
reports: dashboards, register, SLA; portal: the claimant's pages; notifications: the outbox as read;
claim_form_cache: the claim form's shared parts, rendered once per incident (imported by the view only).
"""

from compensation.selectors.batches import *  # noqa: F403
from compensation.selectors.claims import *  # noqa: F403
from compensation.selectors.control_review import *  # noqa: F403
from compensation.selectors.exposure import *  # noqa: F403
from compensation.selectors.notifications import *  # noqa: F403
from compensation.selectors.portal import *  # noqa: F403
from compensation.selectors.queues import *  # noqa: F403
from compensation.selectors.reports import *  # noqa: F403
