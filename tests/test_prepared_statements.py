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


# The pool hands tests the same connections, which keep what they prepared: this query's shape
# is this test's alone, so no earlier test has prepared it.
SHAPE = 'UPPER("letters_letter"."title"::text) = UPPER($1)'


def prepared_letter_queries():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    return [s for s in statements if SHAPE in s]


def read_letter(title):
    return Letter.objects.get(title__iexact=title)


def test_a_query_run_past_the_threshold_is_prepared_once_whatever_its_parameters():
    first, second = make_letter(title="First"), make_letter(title="Second")

    read_letter("first")
    after_one = prepared_letter_queries()
    read_letter("second")
    read_letter("first")

    assert after_one == []
    assert len(prepared_letter_queries()) == 1
    assert (read_letter("FIRST"), read_letter("second")) == (first, second)
