"""Closing the pool closes every connection, including the one a request has just given back.

Django's test run closes its connection and then the pool before it drops the test database; a
connection still open then keeps the database from being dropped.
"""

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pool is PostgreSQL's"),
    pytest.mark.django_db,
]


@pytest.fixture
def own_pool():
    """A wrapper with the site's pool settings but a pool of its own, not the test run's."""
    default = connections["default"]
    wrapper = type(default)(default.settings_dict, alias="pool_close_test")
    yield wrapper
    wrapper.close_pool()


def test_a_connection_given_back_just_before_the_pool_closes_is_closed(own_pool):
    own_pool.ensure_connection()
    given_back = own_pool.connection

    own_pool.close()
    own_pool.close_pool()

    assert given_back.closed
