import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from that thread. Tests only: the site itself never sets this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give each test run its own database, so two runs on one machine never collide."""
    from django.conf import settings
    from django.db import connections

    database = connections["default"].settings_dict
    suffix = f"{os.getpid()}"
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, not memory, so servers that some tests start can share the database.
        database["TEST"]["NAME"] = str(settings.BASE_DIR / f".test-db-{suffix}.sqlite3")
    else:
        database["TEST"]["NAME"] = f"test_{database['NAME']}_{suffix}"


@pytest.fixture
def letter(db):
    from tests.builders import make_letter

    return make_letter(slug="ai-risk")


@pytest.fixture
def immediate_on_commit(monkeypatch):
    """Run on_commit callbacks (task enqueues) at once, as autocommit does in a request.

    The test's own transaction never commits, and django_capture_on_commit_callbacks runs what
    it captured only when its block ends: for a fixture, after the test's assertions.
    """
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: pages and counts are cached a few seconds, and a
    copy left by the previous test (same slug, same language) would otherwise be served."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
