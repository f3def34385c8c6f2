"""Production settings: `check --deploy` is clean, and a bad environment fails loudly.

Each case starts `manage.py` in a fresh process, because settings are read from the
environment once, at import.
"""

import json
import shutil
import subprocess
import sys

import pytest
from django.core.management.utils import get_random_secret_key
from django.db import connection

from tests.production import (
    BASE_DIR,
    database_url,
    production_env,
    redis_server,
    refused_port,
)


@pytest.fixture
def production(transactional_db):
    """The environment of a production site served over HTTPS, on the test database.

    transactional_db, not db: `check` opens the database (to probe JSON support), and db's
    transaction would hold SQLite's write lock for the whole test, so the probe would wait
    out the busy timeout and then report "SQLite does not support JSONFields".
    """
    return {
        "DEBUG": "0",
        "SECRET_KEY": get_random_secret_key(),
        "SITE_URL": "https://letters.example.org",
        "ALLOWED_HOSTS": "letters.example.org",
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    }


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=production_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_check_is_clean_in_production(production):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_refuses_emails_printed_to_the_console(production):
    del production["EMAIL_URL"]

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production)

    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_production_without_secret_key_fails_naming_it(production):
    del production["SECRET_KEY"]

    result = manage("check", env=production)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_debug_that_is_not_a_boolean_fails_naming_it(production):
    production["DEBUG"] = "maybe"

    result = manage("check", env=production)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='maybe' is not a boolean" in result.stderr


def test_https_site_in_production_insists_on_https(production):
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )

    result = manage("shell", "--no-imports", "-c", code, env=production)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.splitlines()[-1])
    assert values.pop("SECURE_HSTS_SECONDS") >= 365 * 24 * 3600
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
    }


@pytest.fixture
def redis_with_password(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("needs Debian's redis-server")
    with redis_server(tmp_path, "--requirepass", "right-password") as (port, _):
        yield port


@pytest.mark.parametrize(
    ("credentials", "issue"),
    [
        (":right-password@", None),
        (":wrong-password@", "undersigned.E001"),
        ("", "undersigned.E001"),
    ],
    ids=["right password", "wrong password", "no password"],
)
def test_deploy_check_names_a_redis_that_refuses_the_credentials(
    production, redis_with_password, credentials, issue
):
    production["CACHE_URL"] = f"redis://{credentials}127.0.0.1:{redis_with_password}/0"

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production)

    if issue is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0
        assert issue in result.stderr
        assert "The Redis at CACHE_URL refused its credentials" in result.stderr
        assert "right-password" not in result.stderr + result.stdout


def test_deploy_check_warns_of_a_redis_that_does_not_answer(production):
    with refused_port() as port:
        production["CACHE_URL"] = f"redis://127.0.0.1:{port}/0"

        warned = manage("check", "--deploy", "--fail-level", "WARNING", env=production)
        passed = manage("check", "--deploy", env=production)

    assert warned.returncode != 0
    assert "undersigned.W001" in warned.stderr + warned.stdout
    assert "The Redis at CACHE_URL did not answer" in warned.stderr + warned.stdout
    # A warning: a deploy may start before Redis does.
    assert passed.returncode == 0, passed.stdout + passed.stderr
