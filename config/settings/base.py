"""Settings shared by every environment; values come from the environment (django-environ)."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "simple_history",
    "django_celery_beat",
    "incidents",
    "compensation",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outermost of the app's own: a view that cannot reach the database answers 503, not 500.
    "config.middleware.ServiceUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session (its key comes from a cookie): a NUL in the request is a 400, never a query.
    "config.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.staff_access.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

# Content-Security-Policy on every page (django-csp): scripts only from our own static files, never
# inline; no plugins, no framing, forms post only here. Inline style attributes stay allowed (the
# admin and a few status labels use them); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file in `make run`.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# A cache that fails or freezes costs a request at most this long once per outage (config/cache.py).
CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=1.0)


def redis_cache(url, *, key_prefix="oc", timeout=CACHE_SOCKET_TIMEOUT):
    """The Redis cache: failures are misses (the caller reads the database), sockets time out."""
    return {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    # A cache shared by web, worker and beat processes without a server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Claim documents live outside the web root and are served only through an authorised view.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
# An upload stored by a process killed before its transaction committed has no row; the hourly sweep
# (compensation/services/orphans.py) deletes such files once they are older than this.
UPLOAD_ORPHAN_MINUTES = env.int("UPLOAD_ORPHAN_MINUTES", default=60)
# Several web machines: keep documents on S3-compatible object storage (AWS S3, MinIO, Ceph, NCP…)
# instead of the local folder. Objects are private (no public URL works); the download view streams
# them to a user allowed to see them. Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
# (or the machine's role), as boto3 reads them.
DOCUMENTS_S3_BUCKET = env.str("DOCUMENTS_S3_BUCKET", default="")
if DOCUMENTS_S3_BUCKET:
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DOCUMENTS_S3_BUCKET,
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DOCUMENTS_S3_REGION", default="") or None,
            "location": env.str("DOCUMENTS_S3_PREFIX", default="documents"),
            # Stores whose buckets refuse ACL headers (S3 "bucket owner enforced"): set it empty.
            "default_acl": env.str("DOCUMENTS_S3_ACL", default="private") or None,
            "querystring_auth": True,
            "querystring_expire": 60,
            # Names are random (uuid4): no existence check (one request less per upload).
            "file_overwrite": True,
            "addressing_style": env.str("DOCUMENTS_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds per SMTP operation (connect, each command, each reply): a stalled server frees the worker
# after this and the row is retried. Several operations fit in one lease (NOTIFICATION_LEASE_SECONDS).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="보상센터 <compensation@exchange.example>")

# The portal's name in mails (greeting, subject, footer) and in authenticator apps, in Korean and
# English. Never empty (a system check refuses a blank one): "안녕하세요, 보상센터입니다."
SITE_NAME = env.str("SITE_NAME", default="보상센터")
SITE_NAME_EN = env.str("SITE_NAME_EN", default="Compensation desk")

# --- Accounts (django-allauth) ----------------------------------------------------
# Claimants sign in with their email; staff keep the username login at /admin/.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "compensation:claim_list"
# Verification and reset mails are outbox rows like every other message (retried, never lost).
ACCOUNT_ADAPTER = "compensation.notifications.account_mail.OutboxAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_FORMS = {"login": "compensation.forms.LoginForm"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# Account mails are bilingual like every other mail (templates/account/email/); their subjects carry
# SITE_NAME themselves, in the mail's language, so allauth adds no prefix of its own.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# A changed or reset password, a changed or removed address, an authenticator app added or removed,
# new recovery codes: the account's owner is told (time, address, browser), so a takeover is noticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PREVENT_ENUMERATION = True
# Rate limits key on the client address. Behind load balancers/proxies REMOTE_ADDR is the proxy's,
# so the whole site would share one limit: TRUSTED_PROXY_COUNT says how many proxies of ours append
# to X-Forwarded-For (the client is the entry that many places from the end; anything before it may
# be forged by the client and is ignored). Or name a header the edge sets to the client address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
# Sized for an outage morning: one address may be a carrier NAT or an office with many claimants, so
# the per-address limits are generous; the per-account limits (key = the email typed, or the user)
# stay strict — they are what stops password guessing.
RATE_LIMIT_PER_ADDRESS_PER_MINUTE = env.int("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default=120)
_per_address = RATE_LIMIT_PER_ADDRESS_PER_MINUTE
ACCOUNT_RATE_LIMITS = {
    "login": f"{_per_address}/m/ip",
    "login_failed": f"{max(1, _per_address // 2)}/m/ip,5/5m/key",
    "signup": f"{max(1, _per_address // 2)}/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": f"{max(1, _per_address // 2)}/m/ip,5/m/key",
    "reset_password_from_key": f"{max(1, _per_address // 2)}/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The name authenticator apps show next to the code (allauth would use the Site row, "example.com").
MFA_TOTP_ISSUER = SITE_NAME
# Staff reach /admin/ only in a session signed in with a TOTP code (config/staff_access.py). Production
# always requires it; local and test settings may relax it for the demo and the test client.
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=True)

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues split by job (README "Deployment"): `celery` for sweeps, reminders and imports, `mail` for
# bulk and claimant mail, `mail_urgent` for staff deadline alerts, the digest and account mail
# (compensation.notifications.outbox.queue_for). A worker without -Q consumes all three (`make run`);
# in production each queue has its own workers, so a 200,000-mail batch cannot hold up an alert.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"celery": {}, "mail": {}, "mail_urgent": {}}
CELERY_TASK_ROUTES = {
    "compensation.tasks.send_notification": {"queue": "mail"},
    "compensation.tasks.send_notifications": {"queue": "mail"},
    "compensation.tasks.drain_kicked": {"queue": "mail"},
}
# Publishing happens in web requests (after commit): a broker that is down or frozen must cost
# seconds, not minutes. The row stays pending and the every-minute sweep queues it (outbox.py).
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=2.0)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
    # Connecting for a publish is tried once (no retry loop inside a request).
    "max_retries": 0,
    # Unacknowledged tasks (a killed worker's, or a retry waiting for its ETA) go back to the
    # queue after this long; retries further out than this are left to the sweep (outbox.py).
    "visibility_timeout": 3600,
}
# No task runs for ever (prefork pool: a child past its hard limit is replaced). The mail tasks get
# tighter limits (NOTIFICATION_TASK_*_TIME_LIMIT, below).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=1800)

# --- Domain rules -------------------------------------------------------------
# The DAXA 모범규준 sets floors; settings may lengthen these, never shorten them
# (checked by `incidents.checks`).
COMPENSATION_INTAKE_MONTHS = env.int("COMPENSATION_INTAKE_MONTHS", default=1)
COMPENSATION_REVIEW_BUSINESS_DAYS = env.int("COMPENSATION_REVIEW_BUSINESS_DAYS", default=15)
COMPENSATION_MAX_OBJECTION_ROUNDS = env.int("COMPENSATION_MAX_OBJECTION_ROUNDS", default=2)
COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS = env.int("COMPENSATION_OBJECTION_WINDOW_BUSINESS_DAYS", default=10)
COMPENSATION_PAYMENT_BUSINESS_DAYS = env.int("COMPENSATION_PAYMENT_BUSINESS_DAYS", default=20)
COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS = env.int("COMPENSATION_EXTENDED_REVIEW_BUSINESS_DAYS", default=30)
COMPENSATION_FOUR_EYES_LIMIT_KRW = env.int("COMPENSATION_FOUR_EYES_LIMIT_KRW", default=1_000_000)
# Largest CSV the admin imports (order logs, prices, payments) take in one file; it is read into memory.
COMPENSATION_IMPORT_MAX_MB = env.int("COMPENSATION_IMPORT_MAX_MB", default=50)
# Days the signed link that ties an exchange account to a portal user stays valid (proactive batches);
# 180 lets a decision's objection rounds fit inside it.
COMPENSATION_ACCOUNT_LINK_DAYS = env.int("COMPENSATION_ACCOUNT_LINK_DAYS", default=180)
# Days the mailed link to confirm a claim staff recorded for a caller stays valid (staff-assisted intake).
COMPENSATION_CONFIRMATION_LINK_DAYS = env.int("COMPENSATION_CONFIRMATION_LINK_DAYS", default=30)
# Coverage of liabilities (insurance or reserve): which reading of the rule applies until the final
# rule is confirmed. "hot_wallet": 5% of hot-wallet assets, fixed by the next business day (the
# decree, seed 002); "user_assets": 5% of users' assets at month end, fixed by the 10th (seed 003).
COVERAGE_BASIS = env.str("COVERAGE_BASIS", default="hot_wallet")
# The exchange's licence: "krw_market" (minimum 30억 KRW) or "other" (minimum 5억 KRW).
COVERAGE_LICENCE = env.str("COVERAGE_LICENCE", default="krw_market")
# An incident's exposure at or above this share of the cover in force is flagged.
COVERAGE_WARNING_PERCENT = env.int("COVERAGE_WARNING_PERCENT", default=80)
# How soon after detection a notice should be up; later ones are flagged.
NOTICE_TARGET_HOURS = env.int("NOTICE_TARGET_HOURS", default=24)
# How long a closed incident stays on the public front page.
PUBLIC_RECENT_DAYS = env.int("PUBLIC_RECENT_DAYS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO; its warnings (e.g. a missing glyph) still show.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Notifications (outbox) ---------------------------------------------------------
# Links in mails point here; set it to the public address of the portal.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
# A row being sent is invisible to other workers this long; a worker killed mid-send frees it after.
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
# Retry backoff: base × 2^(attempt − 1).
NOTIFICATION_BACKOFF_SECONDS = env.int("NOTIFICATION_BACKOFF_SECONDS", default=60)
# A published task not taken this long after its time is presumed lost; the sweep queues the row again.
NOTIFICATION_REQUEUE_GRACE_SECONDS = env.int("NOTIFICATION_REQUEUE_GRACE_SECONDS", default=30)
# Time limits of the sending tasks: longer than a batch's budget plus one slow send (about ten SMTP
# round trips of EMAIL_TIMEOUT each), shorter than the lease (checked by `compensation.checks`).
NOTIFICATION_TASK_SOFT_TIME_LIMIT = env.int("NOTIFICATION_TASK_SOFT_TIME_LIMIT", default=240)
NOTIFICATION_TASK_TIME_LIMIT = env.int("NOTIFICATION_TASK_TIME_LIMIT", default=270)
# A batch task stops taking rows after this long and queues the rest as a new task.
NOTIFICATION_BATCH_BUDGET_SECONDS = env.int("NOTIFICATION_BATCH_BUDGET_SECONDS", default=60)
# A claim's mail waits this long for others of the same burst, then one drain task sends them all
# (compensation.notifications.kicks): the mail's added latency against one task per row.
NOTIFICATION_KICK_SECONDS = env.float("NOTIFICATION_KICK_SECONDS", default=0.5)
# Overdue alerts are sent for items that became overdue within this many days; older ones are in the digest.
ALERT_OVERDUE_LOOKBACK_DAYS = env.int("ALERT_OVERDUE_LOOKBACK_DAYS", default=7)
