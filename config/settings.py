"""Undersigned settings: one module, read from the environment.

Defaults give a working development site with nothing to configure: SQLite in the
project folder, emails printed to the console, tasks run in-process, a local-memory
cache. Production differs only by environment variables (see README, "Configuration").
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off."
    )


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_int_in(name, default, low, high):
    """A whole number from `low` to `high`."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name}={value} is outside {low} to {high}.")
    return value


def env_prepare_threshold(name, default):
    """psycopg's prepare_threshold: a whole number, or None for "off" (never prepare)."""
    if os.environ.get(name, "").strip().lower() == "off":
        return None
    threshold = env_int(name, default)
    if threshold < 0:
        raise ImproperlyConfigured(f"{name}={threshold} is negative; use 0 or more, or off.")
    return threshold


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_email_url(url):
    """Turn EMAIL_URL into a MAILERS entry.

    smtp://host:port, smtp+tls://user:pass@host:587 (STARTTLS), smtp+ssl://… (implicit TLS),
    console:// (print to the terminal) and locmem:// (keep in memory, for tests).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtp+tls", "smtp+ssl", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not one of smtp, smtp+tls, smtp+ssl, console."
        )
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL needs a host, as in smtp://localhost:25.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from None
    use_ssl = scheme in {"smtp+ssl", "smtps"}
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or (465 if use_ssl else 587 if scheme == "smtp+tls" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": scheme == "smtp+tls",
            "use_ssl": use_ssl,
            "timeout": 10,
        },
    }


def parse_cache_url(url, timeout=1):
    """The cache CACHE_URL names. A Redis one gives up after `timeout` seconds to connect or to
    answer, so an unreachable Redis answers 503 "try again" (config/errors.py) instead of holding
    every request thread until the kernel gives up on the connection."""
    if not url or url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    if url.startswith("dummy://"):
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        "CACHE_URL must start with redis://, rediss://, locmem:// or dummy://."
    )


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a fixed key keeps sessions and links working across restarts.
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"

# The public origin: absolute links in emails use it, and its scheme decides whether the
# site insists on HTTPS (secure cookies, redirects, HSTS).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be an absolute http(s) URL.")
HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ["*"] if DEBUG else [_site.hostname, "localhost", "127.0.0.1", "[::1]"],
)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

# Proxies whose X-Forwarded-For and X-Forwarded-Proto we believe (IPs or CIDRs).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before django_tasks_db: its `manage.py db_worker` replaces the library's.
    "signatories",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "allauth.socialaccount.providers.orcid",
    "django_altcha",
    "letters",
]

MIDDLEWARE = [
    "config.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous readers' letter, list and check-your-email pages, from the cache before sessions
    # and the rest.
    "config.http.SharedPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the cookie set_language writes, else Accept-Language; the public
    # addresses carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.admin_security.AdminTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "config.context_processors.site",
                "config.context_processors.organizer",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from config.database import check_pooled_connection

    # psycopg's pool keeps connections warm across requests; Django forbids
    # CONN_MAX_AGE with it, so persistence comes from the pool alone.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        # After PostgreSQL restarts, every idle connection in the pool is dead. Checking a
        # connection idle for over a second when it is handed out (one round trip) replaces
        # dead ones with fresh ones, so the site recovers by itself instead of failing once
        # per dead connection.
        "check": check_pooled_connection,
    }
    # Parameters travel apart from the query, and a query a connection has run
    # DATABASE_PREPARE_THRESHOLD times is prepared: PostgreSQL then neither parses nor plans it
    # again, which halved its CPU per signature (README, Performance). A PgBouncer in
    # transaction mode without max_prepared_statements cannot keep prepared statements: set
    # DATABASE_PREPARE_THRESHOLD=off there.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_prepare_threshold(
        "DATABASE_PREPARE_THRESHOLD", 2
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a signature is being written; the busy timeout
    # makes concurrent writers wait instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# A read replica for public reads (see config/db_router.py); tests treat it as a mirror.
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(env_str("DATABASE_REPLICA_URL")),
        "OPTIONS": DATABASES["default"].get("OPTIONS", {}),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_TIMEOUT_SECONDS = env_int("CACHE_TIMEOUT_SECONDS", 1)
if CACHE_TIMEOUT_SECONDS < 1:
    raise ImproperlyConfigured("CACHE_TIMEOUT_SECONDS must be at least 1.")
CACHES = {"default": parse_cache_url(env_str("CACHE_URL"), CACHE_TIMEOUT_SECONDS)}
# Lets several sites (or test runs) share one Redis without reading each other's counters.
CACHES["default"]["KEY_PREFIX"] = env_str("CACHE_KEY_PREFIX")

MAILERS = {"default": parse_email_url(env_str("EMAIL_URL", "console://"))}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Undersigned <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Tasks: "immediate" runs them in-process (demo, tests); "database" queues them for
# `manage.py db_worker`.
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate")
# Emails have a queue of their own, which the worker leaves alone while the machine is saturated
# (signatories/worker.py); `manage.py db_worker` runs them all.
TASK_QUEUES = ["default", "email"]
if TASKS_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be 'immediate' or 'database'.")

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_REDIRECT_URL = "/"

# Accounts (django-allauth), all in this block. Organizers sign up with an email address they
# must verify before they can log in; they log in with their password or with a one-time code
# sent to that address, and protect the account with a second factor. Signers may log in with
# ORCID only, without an email or password of ours. Pages: templates/allauth/ (layout and
# elements), templates/account/, templates/mfa/; the admin's login goes through allauth too
# (config/admin_security.py), so its second factor cannot be skipped there.
LOGIN_URL = "account_login"
# allauth's login, plus a note of when the session logged in (letters/accounts.py).
ACCOUNT_ADAPTER = "letters.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Following the link in the verification email logs the person in (same browser only).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Logging out changes state, so it takes a POST (a link or an image could otherwise do it).
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Undersigned] "
# Tell people by email when their password, addresses or second factors change, so a taken-over
# account is noticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Asking for a reset or a code for an unknown address answers like a known one (allauth's
# default), and emails nobody, so the forms cannot be used to send mail to strangers.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Two-factor authentication: an authenticator app (TOTP), one-time recovery codes, and security
# keys or passkeys (WebAuthn). allauth's WebAuthn script is a static file fed by JSON data
# blocks, so it runs under our CSP without 'unsafe-inline'.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Undersigned"
# Accept the code of the 30-second step before and after too: phones' clocks drift, and a code
# typed as its step ends would otherwise fail.
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

# Organizer areas (and the admin) need two-factor authentication in production, that is when
# the site is served over HTTPS; a letter's owner can require it on any site.
ORGANIZERS_REQUIRE_TWO_FACTOR = env_bool("ORGANIZERS_REQUIRE_TWO_FACTOR", HTTPS and not DEBUG)

# ORCID: "Sign with ORCID" appears once client credentials are set. ORCID_SANDBOX=1 uses
# sandbox.orcid.org (testing); production uses orcid.org's public API.
ORCID_CLIENT_ID = env_str("ORCID_CLIENT_ID")
ORCID_SANDBOX = env_bool("ORCID_SANDBOX", False)
SOCIALACCOUNT_PROVIDERS = {
    "orcid": {
        "BASE_DOMAIN": "sandbox.orcid.org" if ORCID_SANDBOX else "orcid.org",
        "MEMBER_API": False,
        "APPS": [
            {"client_id": ORCID_CLIENT_ID, "secret": env_str("ORCID_CLIENT_SECRET"), "key": ""}
        ]
        if ORCID_CLIENT_ID
        else [],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The interface's languages; a letter's canonical text and its translations use these too.
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
]
# The compiled catalogs (.mo) are committed beside the .po files, so the site needs no gettext.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# `collectstatic` fills STATIC_ROOT for production; development serves from static/ directly.
STATIC_ROOT = (
    Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
    if not DEBUG or os.environ.get("STATIC_ROOT")
    else None
)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names let static files be cached forever; compressed copies are served
        # to clients that accept them. Development serves the files as they are.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Security. Django's own CSP: no inline script or style anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Powerful browser features no page of ours uses, switched off for every response (and for
# anything a page might frame) by config.security.PermissionsPolicyMiddleware.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ]
} | {
    # Security keys and passkeys (two-factor authentication) on our own pages only.
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
if not DEBUG and HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# The health checks answer load balancers that speak plain HTTP to the web process.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own "django" logger would print to the console a second time in development.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# More shared email domains (one per line) that never verify an affiliation.
SHARED_EMAIL_DOMAINS_FILE = env_str("SHARED_EMAIL_DOMAINS_FILE")

# Counts: pending changes are folded into the totals at most this often, per worker queue.
COUNT_ROLL_UP_SECONDS = env_int("COUNT_ROLL_UP_SECONDS", 2)

# The worker leaves the mail alone while the other processes use at least this share of the
# machine's CPU, for at most this many seconds in a row (0: never; signatories/worker.py).
MAIL_HOLD_BUSY_PERCENT = env_int_in("MAIL_HOLD_BUSY_PERCENT", 75, 0, 100)
MAIL_HOLD_MAX_SECONDS = env_int_in("MAIL_HOLD_MAX_SECONDS", 60, 0, 3600)

# Anonymous readers' letter and list pages are kept this long in the shared cache (and by
# browsers and proxies), so a crowd re-reading a page costs one rendering every few seconds.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 5)
# The count endpoint's answer is kept this long; counters poll it every few seconds.
COUNT_CACHE_SECONDS = env_int("COUNT_CACHE_SECONDS", 2)
# Past those seconds a copy is still served this long while one request re-renders it (behind a
# lock held at most SHARED_PAGE_REFRESH_LOCK_SECONDS), so a crowd never renders it all at once.
SHARED_PAGE_STALE_SECONDS = env_int("SHARED_PAGE_STALE_SECONDS", 30)
SHARED_PAGE_REFRESH_LOCK_SECONDS = env_int("SHARED_PAGE_REFRESH_LOCK_SECONDS", 10)
# Each web process keeps a fresh shared copy it has read for up to this long (0: never), within
# the copy's own fresh time.
SHARED_PAGE_LOCAL_SECONDS = env_int("SHARED_PAGE_LOCAL_SECONDS", 1)

# Signing: the confirmation link works for this long.
CONFIRMATION_MAX_AGE_DAYS = env_int("CONFIRMATION_MAX_AGE_DAYS", 7)
# When the mail server is down, sending is tried again after these delays (seconds), then
# left owed: the signer can sign again, and `manage.py resend_owed_emails` queues it again.
try:
    EMAIL_RETRY_DELAYS_SECONDS = [
        int(delay) for delay in env_list("EMAIL_RETRY_DELAYS_SECONDS", ["10", "60", "300", "1800"])
    ]
except ValueError:
    raise ImproperlyConfigured(
        "EMAIL_RETRY_DELAYS_SECONDS must be whole numbers separated by commas."
    ) from None
# A signature gets at most this many emails, so the form cannot be used to spam someone.
MAX_EMAILS_PER_SIGNATURE = env_int("MAX_EMAILS_PER_SIGNATURE", 5)
# Fresh links asked for from an expired confirmation link's page, per signature and day. They
# are not counted against MAX_EMAILS_PER_SIGNATURE: only the signer holds such a link, and
# anyone who knows the address can use that cap up by signing with it.
FRESH_LINKS_PER_DAY = env_int("FRESH_LINKS_PER_DAY", 3)
# Manage links asked for by address ("email me my manage link"), per signature and day. Not
# counted against MAX_EMAILS_PER_SIGNATURE either: a stranger who used that cap up would leave
# the signer no way to get the link again, to withdraw say.
MANAGE_LINKS_PER_DAY = env_int("MANAGE_LINKS_PER_DAY", 3)
# Invitations to organize that one account may send in 24 hours, across all its letters. Anyone
# can open an account and a draft: without a cap, the invitation form would send our mail to any
# list of addresses, with a title of the sender's choosing.
INVITATIONS_PER_DAY = env_int("INVITATIONS_PER_DAY", 20)
# Hourly abuse reports (manage.py send_abuse_reports) tell a letter's owners about an hour
# with at least this many signatures from one client address (an IPv6 /64) or one email
# domain (shared webmail domains excepted).
ABUSE_REPORT_IP_THRESHOLD = env_int("ABUSE_REPORT_IP_THRESHOLD", 20)
ABUSE_REPORT_DOMAIN_THRESHOLD = env_int("ABUSE_REPORT_DOMAIN_THRESHOLD", 100)
# Each open letter page polls its count about this often (±30%); raise it to shed load.
LIVE_COUNT_INTERVAL_SECONDS = env_int("LIVE_COUNT_INTERVAL_SECONDS", 15)

# Abuse safeguards (see README, "Rate limits"): signatures per letter, counted per client
# address (an IPv6 client per /64) and per email domain, in a one-minute burst window and a
# one-day window. The admin's Site settings override each one without a deploy.
SIGNING_LIMITS = {
    "ip_burst": env_int("SIGN_LIMIT_IP_BURST", 10),
    "ip_daily": env_int("SIGN_LIMIT_IP_DAILY", 100),
    "shared_network_burst": env_int("SIGN_LIMIT_SHARED_NETWORK_BURST", 60),
    "shared_network_daily": env_int("SIGN_LIMIT_SHARED_NETWORK_DAILY", 1000),
    "domain_burst": env_int("SIGN_LIMIT_DOMAIN_BURST", 60),
    "domain_daily": env_int("SIGN_LIMIT_DOMAIN_DAILY", 1000),
}
# How long a change to the admin's Site settings may take to reach every web process.
SITE_SETTINGS_CACHE_SECONDS = env_int("SITE_SETTINGS_CACHE_SECONDS", 10)
# Proof of work (ALTCHA), shown only when a letter or the site switches it on. Its challenges
# are signed with their own key, derived from SECRET_KEY unless set.
ALTCHA_HMAC_KEY = env_str("ALTCHA_HMAC_KEY") or f"altcha:{SECRET_KEY}"
ALTCHA_MAX_NUMBER = env_int("ALTCHA_MAX_NUMBER", 100_000)

# Retention (see the privacy page): unconfirmed signatures are deleted after this many days;
# this many days after a letter closes, its signatures' emails and client addresses are erased.
UNCONFIRMED_RETENTION_DAYS = env_int("UNCONFIRMED_RETENTION_DAYS", 30)
CLOSED_LETTER_RETENTION_DAYS = env_int("CLOSED_LETTER_RETENTION_DAYS", 90)
