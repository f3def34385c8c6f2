"""What a visitor sees when the database or the shared cache is unreachable: "try again", 503.

Django turns any uncaught exception into a call to handler500, whether it was raised by a
view or by a middleware (sessions and accounts read the database before the view runs). When
the exception is a lost or refused connection (PostgreSQL restarting, the pool out of
connections, Redis restarting), the truth is "unavailable for a moment", not "broken": a 503
with Retry-After tells people and clients to try again, and tells load balancers the same. The
traceback is still logged by Django before this handler runs; it is never shown.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.views.defaults import server_error

from config.cache import CACHE_UNAVAILABLE

RETRY_AFTER_SECONDS = 5


def service_unavailable(exception):
    """A lost or refused connection to PostgreSQL or to the shared cache."""
    return isinstance(exception, (OperationalError, InterfaceError, *CACHE_UNAVAILABLE))


def server_error_or_unavailable(request):
    if not service_unavailable(sys.exc_info()[1]):
        return server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": gettext("The service is briefly unavailable; please try again.")},
            status=503,
        )
    else:
        # Rendered without the request: the context processors would reach for the database
        # (the visitor's session and account) that has just failed.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
