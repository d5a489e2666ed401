"""The database is the one service a request cannot do without: when it is unreachable the user
gets the 503 page (Korean and English, `templates/503.html`) with Retry-After, not a 500.

The cache and the broker never get here: their failures degrade (config/cache.py, the outbox).
"""

import logging

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
