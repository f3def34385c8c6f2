import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from that thread. Tests only: the site itself never sets this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def letter(db):
    from tests.builders import make_letter

    return make_letter(slug="ai-risk")


@pytest.fixture
def immediate_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (task enqueues) as the request's transaction would."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks
