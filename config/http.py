"""HTTP helpers for public read-only endpoints: caching, validators and CORS."""

from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

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
