"""A lost database connection answers 503 "try again" (config/errors.py), never a traceback.

The views here fail the way a request does while PostgreSQL restarts; the fault scenarios in
tests/faults/ restart a real one under load.
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import include, path

from config.urls import handler500  # noqa: F401  (the root URLconf's error handler)


def lost_connection(request):
    raise OperationalError("server closed the connection unexpectedly")


def closed_connection(request):
    raise InterfaceError("connection already closed")


def bug(request):
    raise ZeroDivisionError


urlpatterns = [
    path("letters/lost/", lost_connection),
    path("letters/closed/", closed_connection),
    path("api/v1/lost/", lost_connection),
    path("letters/bug/", bug),
    path("", include("config.urls")),
]

pytestmark = pytest.mark.urls(__name__)


def session_store_down(get_response):
    """A middleware that reaches the database before any view, as sessions and accounts do."""

    def middleware(request):
        raise OperationalError("the database system is shutting down")

    return middleware


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/letters/lost/", "/letters/closed/"])
def test_lost_database_shows_a_try_again_page_with_503(visitor, url):
    response = visitor.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "<h1>Please try again in a moment</h1>" in page
    assert "send the form again in a few seconds" in page
    assert "connection" not in page
    assert "Traceback" not in page


def test_lost_database_answers_the_api_with_json_503(visitor):
    response = visitor.get("/api/v1/lost/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"error": "The service is briefly unavailable; please try again."}


def test_other_errors_still_show_the_500_page(visitor):
    response = visitor.get("/letters/bug/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response


def test_lost_database_in_a_middleware_is_a_503_too(visitor, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.session_store_down"]

    response = visitor.get("/")

    assert response.status_code == 503
    assert "<h1>Please try again in a moment</h1>" in response.content.decode()
