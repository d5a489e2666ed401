"""The site's URLs plus views that fail the way a bug, a database outage, a refused permission and a
malformed request do (error page tests)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def forbidden(request):
    raise PermissionDenied("internal detail: rule 7 of the role table")


def malformed(request):
    raise SuspiciousOperation("internal detail: header X")


urlpatterns = [
    path("test-forbidden", forbidden),
    path("test-malformed", malformed),
    path("test-boom", boom),
    path("test-database-down", database_down),
    path("", include("config.urls")),
]
