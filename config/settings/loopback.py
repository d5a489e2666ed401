"""Production settings served over plain HTTP on 127.0.0.1: the load test (`make loadtest`) and the
multi-instance integration test. Never for a deployment.

Everything is production (DEBUG off, persistent connections, WhiteNoise, S3 documents when
configured) except what needs TLS: cookies are not Secure (a plain-HTTP client would never send
them back) and there is no HTTPS redirect or HSTS.
"""

from config.settings.production import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# The loopback stack serves static files from the source folders (no collectstatic step needed).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
