import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import (
    env_bool,
    env_int_in,
    env_prepare_threshold,
    parse_cache_url,
    parse_email_url,
)


def test_env_bool_refuses_a_vague_value(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("off", False), ("YES", True), ("", True)])
def test_env_bool(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", True) is value


def test_email_url_smtp_with_starttls_and_credentials():
    assert parse_email_url("smtp+tls://user%40x:p%3Ass@mail.example.org:587") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.org",
            "port": 587,
            "username": "user@x",
            "password": "p:ss",
            "use_tls": True,
            "use_ssl": False,
            "timeout": 10,
        },
    }


def test_email_url_plain_smtp_and_console():
    assert parse_email_url("smtp://127.0.0.1:1025")["OPTIONS"]["port"] == 1025
    assert parse_email_url("console://") == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


@pytest.mark.parametrize("url", ["ftp://x", "smtp://", "smtp://host:notaport"])
def test_email_url_refuses_nonsense(url):
    with pytest.raises(ImproperlyConfigured):
        parse_email_url(url)


def test_cache_url():
    assert parse_cache_url("redis://127.0.0.1:6379/1", timeout=2) == {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    assert parse_cache_url("")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    with pytest.raises(ImproperlyConfigured):
        parse_cache_url("memcached://x")


@pytest.mark.parametrize(("raw", "threshold"), [("", 2), ("0", 0), ("5", 5), ("off", None)])
def test_prepare_threshold(monkeypatch, raw, threshold):
    monkeypatch.setenv("THRESHOLD", raw)
    assert env_prepare_threshold("THRESHOLD", 2) == threshold


@pytest.mark.parametrize("raw", ["-1", "never", "2.5"])
def test_prepare_threshold_refuses_nonsense(monkeypatch, raw):
    monkeypatch.setenv("THRESHOLD", raw)
    with pytest.raises(ImproperlyConfigured, match="THRESHOLD"):
        env_prepare_threshold("THRESHOLD", 2)


@pytest.mark.parametrize(("raw", "value"), [("", 75), ("0", 0), ("100", 100)])
def test_a_bounded_whole_number(monkeypatch, raw, value):
    monkeypatch.setenv("PERCENT", raw)
    assert env_int_in("PERCENT", 75, 0, 100) == value


@pytest.mark.parametrize("raw", ["-1", "101", "half"])
def test_a_bounded_whole_number_refuses_what_is_outside(monkeypatch, raw):
    monkeypatch.setenv("PERCENT", raw)
    with pytest.raises(ImproperlyConfigured, match="PERCENT"):
        env_int_in("PERCENT", 75, 0, 100)
