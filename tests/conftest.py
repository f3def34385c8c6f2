import os
import time

import pytest
import responses

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


class HeldClock:
    def __init__(self, read):
        self.now = read()

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def held_clock(monkeypatch):
    """time.monotonic() held still, moved on only by the test's advance(seconds): what a process
    keeps for a second (config.cache.KeptHere) is then tested however slowly the test runs."""
    clock = HeldClock(time.monotonic)
    monkeypatch.setattr(time, "monotonic", lambda: clock.now)
    return clock


@pytest.fixture
def held_wall_clock(monkeypatch):
    """time.time() held still, moved on only by advance(seconds): what the local-memory cache
    keeps (the tests' cache) and a shared page's fresh time (config.http) expire by it."""
    clock = HeldClock(time.time)
    monkeypatch.setattr(time, "time", lambda: clock.now)
    return clock


@pytest.fixture
def database_tasks(settings):
    """Tasks queued in the database, as in production, for the worker to claim."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


@pytest.fixture
def immediate_on_commit(monkeypatch):
    """Run on_commit callbacks (task enqueues) at once, as autocommit does in a request.

    The test's own transaction never commits, and django_capture_on_commit_callbacks runs what
    it captured only when its block ends: for a fixture, after the test's assertions.
    """
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def fresh_cache_and_safeguards():
    """Each test starts with an empty cache and the default site settings.

    The cache outlives a test's database rollback: without this, a page or count cached by the
    previous test (same slug, same language), a used-up rate limit, a paused switch or the pause
    an unreachable Redis started (config.cache) would leak into the next; so would what this
    process keeps for a second or two (config.cache.KeptHere). The settings are
    primed with the defaults a fresh database holds, as a running site has them in memory: pages
    cost no extra query (query-count tests).
    """
    from django.core.cache import cache

    import config.cache
    from signatories.safeguards import SHARED_NETWORKS, SITE_SETTINGS, SiteSettings

    config.cache.paused_until = 0.0
    cache.clear()
    config.cache.forget_all_kept_here()
    SITE_SETTINGS.set(SiteSettings(pk=1), 3600)
    SHARED_NETWORKS.set([], 3600)
    yield
    config.cache.paused_until = 0.0
    cache.clear()
    config.cache.forget_all_kept_here()


@pytest.fixture
def orcid_configured(settings):
    settings.ORCID_CLIENT_ID = "APP-TEST"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "orcid": {
            "BASE_DOMAIN": "orcid.org",
            "MEMBER_API": False,
            "APPS": [{"client_id": "APP-TEST", "secret": "s3cret", "key": ""}],
        }
    }


@pytest.fixture
def orcid(orcid_configured):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def smtp_down(settings):
    """The mail server refuses connections: nothing listens on its port."""
    from config.settings import parse_email_url
    from tests.production import refused_port

    with refused_port() as port:
        settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{port}")}
        yield
