"""HTTP helpers for public read-only endpoints: caching, validators and CORS."""

import hashlib
import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language_from_request
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from config.cache import best_effort, try_cache
from config.db_router import read_from_replica


def public_cacheable(response, *, max_age, stale=60):
    """Let browsers, proxies and CDNs keep the answer briefly and serve it stale meanwhile."""
    patch_cache_control(response, public=True, max_age=max_age, stale_while_revalidate=stale)
    return response


def allow_any_origin(response):
    """Open data: any site may read it with a simple GET (no credentials are involved)."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    return response


def conditional(request, response, *, last_modified=None):
    """Add ETag and Last-Modified, and answer 304 when the client's copy is current."""
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    set_response_etag(response)
    return get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=int(last_modified) if last_modified is not None else None,
        response=response,
    )


def read_only_api(view):
    """A public GET/HEAD endpoint: any other method is 405, and CSRF never applies.

    Without the exemption an unknown method (QUERY, PATCH…) would meet the CSRF check first
    and get a misleading 403.
    """
    return csrf_exempt(require_safe(read_from_replica(view)))


# Anonymous pages from the shared cache, and the CSRF check that lets them carry no token.
#
# A page with a CSRF token is different for every visitor, so it cannot be cached, and at a
# viral spike nearly every request is an anonymous reader asking for the same letter page.
# Django 6.1's CsrfViewMiddleware has no header-only mode, so forms on shared pages carry no
# token and the views they post to take the browser's own word for where the form came from:
# Sec-Fetch-Site (sent by every current browser, and no page can forge it) or, from browsers
# without it, an Origin header naming this site. A POST with neither, or from another site,
# still needs Django's token, exactly as before. Go's http.CrossOriginProtection makes the
# same check (and lets a request with neither header through, which this does not).


def _csrf():
    # Built per request, as csrf_protect does, so it reads the settings of the moment.
    return CsrfViewMiddleware(lambda request: None)


# Cookies that do not change a page's content for its reader (the language is in the key).
SHARED_PAGE_COOKIES = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def sent_from_this_site(request):
    """Did the browser say this request came from one of our own pages?"""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return "HTTP_ORIGIN" in request.META and _csrf()._origin_verified(request)


def csrf_by_origin(view):
    """CSRF protection that a same-origin browser passes without a token (see above)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or sent_from_this_site(request):
            _csrf()._accept(request)
        else:
            rejected = _csrf().process_view(request, view, args, kwargs)
            if rejected is not None:
                return rejected
        return view(request, *args, **kwargs)

    # The site-wide middleware leaves the check to the wrapper above.
    checked.csrf_exempt = True
    return checked


def is_anonymous(request):
    """A request with no session, messages or other cookie that could make the page its own."""
    return set(request.COOKIES) <= SHARED_PAGE_COOKIES


def is_anonymous_reader(request):
    return request.method == "GET" and is_anonymous(request)


def shared_page(view):
    """One copy of the page for every anonymous reader in a language, for a few seconds.

    The page is rendered for an anonymous reader without a CSRF token (templates test
    `request.shared_page`), so it is the same for everyone reading in that language; browsers
    and proxies may keep it PAGE_CACHE_SECONDS, and SharedPageCacheMiddleware keeps it as long
    in the shared cache. Anyone with a session (organizers, ORCID signers) gets their own page,
    marked private, and never touches the cache.
    """

    @wraps(view)
    def shared(request, *args, **kwargs):
        if not is_anonymous_reader(request):
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        request.shared_page = True
        response = view(request, *args, **kwargs)
        if getattr(response, "private", False):
            add_never_cache_headers(response)
        elif response.status_code == 200 and not response.streaming:
            public_cacheable(response, max_age=settings.PAGE_CACHE_SECONDS, stale=30)
            # The language comes from a cookie or Accept-Language; a session cookie means a
            # page of one's own.
            patch_vary_headers(response, ("Cookie", "Accept-Language"))
            share(response, seconds=settings.PAGE_CACHE_SECONDS)
        return response

    return shared


def keep_private(response):
    """Mark an answer of a shared_page view as one reader's own: never cached or shared."""
    response.private = True
    return response


def share(response, *, seconds):
    """Let SharedPageCacheMiddleware keep this answer for anonymous readers for `seconds`."""
    response.shared_for = seconds
    return response


# The addresses whose views share() their answers: the middleware looks only these up, so no
# other request pays for a cache read.
SHARED_PAGE_PATHS = re.compile(
    r"/letters/[^/]+/(signatories/|check-email/)?|/api/v1/letters/[^/]+/count"
)


def shared_page_key(request):
    """The cache key of the shared page this request asks for, or None when it asks for none."""
    if not (SHARED_PAGE_PATHS.fullmatch(request.path_info) and is_anonymous_reader(request)):
        return None
    try:
        request.get_host()
    except DisallowedHost:
        return None  # the full stack answers it with its 400
    # What LocaleMiddleware will choose: the language cookie, else Accept-Language.
    language = get_language_from_request(request)
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    # "page2": copies carry their fresh time since stale-while-revalidate; a new key keeps a
    # process of the new code from reading an older process's copies during a rolling deploy.
    return f"page2:{language}:{path}"


def refresh_lock_key(key):
    """The lock that one request takes to re-render the shared page kept under `key`."""
    return f"{key}:refresh"


# Copies one process keeps of its own (SharedPageCacheMiddleware.local): the few pages a crowd
# reads at once, with room; a letter page is about 30 KB.
SHARED_PAGE_LOCAL_COPIES = 32


class SharedPageCacheMiddleware:
    """Answer anonymous readers' shared pages from the cache, before the rest of the stack.

    At a spike nearly every request is a reader asking for the same letter page; answered here
    it costs about what /healthz costs (which passes through sessions, locale, CSRF,
    authentication and messages) instead of a rendering. The copy keeps every header the full
    stack gave it (language, Vary, X-Frame-Options, caching); the middleware above this one
    (security, CSP) still runs.

    A copy is fresh for the view's `shared_for` seconds and then kept SHARED_PAGE_STALE_SECONDS
    longer: the first request past the fresh time takes a short lock and re-renders it, while
    every other reader keeps getting the stale copy. Without this, all the requests arriving
    while the copy is re-rendered render it too, and at 16 connections that was the letter
    page's whole p99 (207 ms against a 10 ms p50).

    Each process also keeps the fresh copies it reads for SHARED_PAGE_LOCAL_SECONDS: reading a
    30 KB page from Redis and unpickling it cost as much as the rest of the answer (bench, letter
    page: 0.83 of /healthz's rate from Redis each time, 1.46 with the process's own copy).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # {key: (until, copy)}: fresh copies read from the shared cache, kept in this process
        # for up to SHARED_PAGE_LOCAL_SECONDS so that a crowd costs one cache read a second.
        self.local = {}

    def __call__(self, request):
        key = shared_page_key(request)
        hit = refreshing = None
        if key is not None and (hit := self.shared_copy(key)) is not None:
            content, headers, fresh_until = hit
            # Without Redis the stale copy this process holds is sent: rendering it again could
            # not share it.
            refreshing = time.time() >= fresh_until and try_cache(
                lambda: cache.add(
                    refresh_lock_key(key), 1, settings.SHARED_PAGE_REFRESH_LOCK_SECONDS
                ),
                fallback=lambda: False,
            )
            if not refreshing:
                return self.cached_response(request, content, headers)
        try:
            response = self.get_response(request)
            # A page that rendered is sent even when Redis is unavailable to share it.
            self.keep(key, response, replaces_copy=hit is not None)
        finally:
            if refreshing:
                with best_effort("releasing the refresh lock"):
                    cache.delete(refresh_lock_key(key))
        return response

    def shared_copy(self, key):
        """The copy kept under `key`: from this process while it is fresh, else the cache."""
        now = time.time()
        until, copy = self.local.get(key, (0, None))
        if now < until:
            return copy
        copy = try_cache(lambda: cache.get(key))
        if copy is not None:
            self.hold(key, copy, now)
        return copy

    def hold(self, key, copy, now):
        """Keep a fresh copy in this process for up to SHARED_PAGE_LOCAL_SECONDS."""
        if now < copy[2] and settings.SHARED_PAGE_LOCAL_SECONDS:
            if len(self.local) >= SHARED_PAGE_LOCAL_COPIES:
                self.make_room(now)
            # Never past the copy's own fresh time: the refresh is then the shared cache's.
            self.local[key] = (min(now + settings.SHARED_PAGE_LOCAL_SECONDS, copy[2]), copy)

    def make_room(self, now):
        """Drop the copies whose time is over, or else the oldest one.

        Not all of them: someone asking for many distinct pages (?q=1, ?q=2…) would otherwise
        keep sending the crowd's letter page back to the shared cache.
        """
        # A list: other threads of this process add and drop copies meanwhile.
        kept = list(self.local.items())
        for key in [key for key, (until, _) in kept if until <= now] or [kept[0][0]]:
            self.local.pop(key, None)

    @staticmethod
    def cached_response(request, content, headers):
        response = HttpResponse(content, headers=headers)
        # A client that has this copy (the count's ETag) gets a 304, as from the view.
        return get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=parse_http_date_safe(response.get("Last-Modified")),
            response=response,
        )

    def keep(self, key, response, *, replaces_copy):
        """Keep a shareable answer for others, and drop a stale copy the view no longer gives."""
        self.local.pop(key, None)
        seconds = getattr(response, "shared_for", 0)
        if seconds and response.status_code == 200:
            if response.cookies:
                # Something below set a cookie (a CSRF token after all, a session): the page
                # is this reader's own and must not be shared.
                del response["Cache-Control"]
                add_never_cache_headers(response)
            elif key is not None:
                now = time.time()
                copy = (response.content, dict(response.items()), now + seconds)
                try_cache(
                    lambda: cache.set(key, copy, seconds + settings.SHARED_PAGE_STALE_SECONDS),
                    # Without Redis the copy this process holds is the only one: a crowd then
                    # costs each process one rendering every SHARED_PAGE_LOCAL_SECONDS, not one
                    # per reader.
                    fallback=lambda: self.hold(key, copy, now),
                )
                return
        if replaces_copy and response.status_code != 304:
            # The letter was withdrawn, or the page is now someone's own: no stale copy of it
            # may outlive this answer. (A 304 says nothing about the copy: keep it.)
            try_cache(lambda: cache.delete(key))
