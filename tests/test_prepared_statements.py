"""On PostgreSQL a query a connection repeats is prepared: parsed and planned once, not on every
request (config/settings.py, DATABASE_PREPARE_THRESHOLD)."""

import pytest
from django.db import connection

from letters.models import Letter
from tests.builders import make_letter

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
    ),
]


def prepared_letter_queries():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    return [s for s in statements if 'FROM "letters_letter"' in s and "$1" in s]


def read_letter(slug):
    return Letter.objects.get(slug=slug)


def test_a_query_run_past_the_threshold_is_prepared_once_whatever_its_parameters():
    first, second = make_letter(slug="first"), make_letter(slug="second")

    read_letter("first")
    after_one = prepared_letter_queries()
    read_letter("second")
    read_letter("first")

    assert after_one == []
    assert len(prepared_letter_queries()) == 1
    assert (read_letter("first"), read_letter("second")) == (first, second)
