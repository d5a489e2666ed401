"""Test settings: SQLite (or DATABASE_URL), eager Celery, in-memory mail and cache."""

import os
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import env

SECRET_KEY = "test-only-key"
DEBUG = False
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Several suites may share this machine's server at once; each run gets its own test
    # database (dropped at the end) instead of fighting over `test_<name>`.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="oc-private-"))
# WhiteNoise wants the collected-static folder to exist; tests serve nothing from it.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="oc-static-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ADMIN_REQUIRE_MFA = False  # tests sign staff in with force_login; tests/test_staff_access.py turns it on
