"""Settings for the Celery worker that the notification integration tests start as a subprocess.

DATABASE_URL, CELERY_BROKER_URL and EMAIL_URL come from the test; leases are short so a killed
worker's row is picked up again within the test's time limit.
"""

from config.settings.local import *  # noqa: F403
from config.settings.local import env

DEBUG = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = False
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=3)
NOTIFICATION_REQUEUE_GRACE_SECONDS = 0
# The chaos scenarios (test_chaos.py) shrink the outbox's clocks so faults heal within seconds.
NOTIFICATION_BACKOFF_SECONDS = env.int("NOTIFICATION_BACKOFF_SECONDS", default=60)
NOTIFICATION_BATCH_BUDGET_SECONDS = env.int("NOTIFICATION_BATCH_BUDGET_SECONDS", default=60)
NOTIFICATION_TASK_SOFT_TIME_LIMIT = env.int("NOTIFICATION_TASK_SOFT_TIME_LIMIT", default=240)
NOTIFICATION_TASK_TIME_LIMIT = env.int("NOTIFICATION_TASK_TIME_LIMIT", default=270)
