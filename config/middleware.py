"""Request-wide guards.

- The database is the one service a request cannot do without: when it is unreachable the user
  gets the 503 page (Korean and English, `templates/503.html`) with Retry-After, not a 500. The
  cache and the broker never get here: their failures degrade (config/cache.py, the outbox).
- A NUL character is in no text a person types, and PostgreSQL refuses it in every text column
  (the query raised a 500 wherever a value reached a filter or a row without a form in between:
  a search, a reason, an account id, a session cookie). `NulCharacterMiddleware` answers 400 for
  one in the path, the query string or the posted fields, and drops a cookie that carries one.
"""

import logging

from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 60


def service_unavailable_response():
    response = HttpResponse(render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable for %s %s", request.method, request.path, exc_info=exception)
            return service_unavailable_response()
        return None


NUL = "\x00"


class NulCharacter(SuspiciousOperation):
    """Answered 400 by Django (the bad-request page), logged on the django.security logger."""


def _has_nul(query_dict):
    return any(NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists())


class NulCharacterMiddleware:
    """Before the session is read: the session key comes from a cookie, and reaches a database query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.COOKIES.items()):
            if NUL in name or NUL in value:
                del request.COOKIES[name]  # as if the browser had not sent it: a fresh session, not a dead end
        if NUL in request.path or _has_nul(request.GET):
            raise NulCharacter("NUL character in the URL")
        if request.method == "POST" and _has_nul(request.POST):
            raise NulCharacter("NUL character in a posted field")
        return self.get_response(request)
