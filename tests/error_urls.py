"""The site's URLs plus two views that fail the way a bug and a database outage do (error page tests)."""

from django.db import OperationalError
from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


urlpatterns = [
    path("test-boom", boom),
    path("test-database-down", database_down),
    path("", include("config.urls")),
]
