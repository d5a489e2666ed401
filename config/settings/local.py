"""`make run`: embedded defaults (SQLite, SQLAlchemy/SQLite broker, console mail)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="local-only-insecure-key-do-not-use-in-production")
VAR_DIR.mkdir(parents=True, exist_ok=True)
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=False)  # the demo logins open the admin directly
