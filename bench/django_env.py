"""Django for in-process benchmarks: test settings on a throwaway in-memory SQLite, migrated once."""

import os

_ready = False


def setup():
    """Idempotent. Never touches a database named by DATABASE_URL: a bench must not write to a real one."""
    global _ready
    if _ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django
    from django.conf import settings

    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the seed migration loads the holidays 2020-2035
    _ready = True
