"""Reads, set-based. `compensation.selectors.<name>` is the public entry point for each of them."""

from compensation.selectors.claims import *  # noqa: F403
from compensation.selectors.notifications import *  # noqa: F403
from compensation.selectors.portal import *  # noqa: F403
