"""Production: every secret from the environment, secure by default."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, STORAGES, env

DEBUG = False
ADMIN_REQUIRE_MFA = True  # never relaxed in production, whatever the environment says
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuses to start without it
# Django checks the key only when it is first used; a blank or guessable one must stop start-up.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY must be at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Keeps base's "documents" storage (object storage when DOCUMENTS_S3_BUCKET is set).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# --- Database connections ---------------------------------------------------------
# A new PostgreSQL connection per request cost 17–29% of a request's wall time under load. Each
# gunicorn worker (one request at a time) and each Celery process keeps its connection open for
# DB_CONN_MAX_AGE seconds, checked before reuse so a restarted server or a dropped connection is
# replaced instead of failing the next request. 0 turns it off (e.g. behind PgBouncer in
# transaction mode, which pools for you).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Sessions are read from the shared cache (Redis) and written through to PostgreSQL: a signed-in
# request skips one query, and every web machine sees the same sessions (a cache flush loses none).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
