import re

import pytest
from django.core.cache import cache

from tests.accounts.totp import current_totp_code
from tests.builders import ACCOUNT_PASSWORD


@pytest.fixture(autouse=True)
def fast_and_fresh(settings):
    # The default hasher is slow on purpose; a test's throwaway password needs no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # allauth keeps rate limits and used TOTP codes in the cache; each test starts clean.
    cache.clear()
    yield
    cache.clear()


def log_in(client, email, password=ACCOUNT_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def is_logged_in(client):
    return "Log out" in client.get("/").content.decode()


def activate_totp(client, password=ACCOUNT_PASSWORD):
    """Turn on the authenticator app as a person does, and return its secret.

    allauth asks for the password again before a change to the account's security.
    """
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/"):
        client.post(response["Location"], {"password": password})
        response = client.get("/accounts/2fa/totp/activate/")
    secret = re.search(
        r'id="authenticator_secret" value="([A-Z2-7=]+)"', response.content.decode()
    ).group(1)
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_totp_code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret
