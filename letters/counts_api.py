"""The count endpoint for live counters: small, cacheable, readable from any origin."""

import hashlib
import json
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from config.cache import try_cache
from config.http import allow_any_origin, conditional, public_cacheable, read_only_api, share
from letters.api import api_letter, not_found
from letters.models import letter_changed_at
from signatories.models import Signature


def count_document(letter):
    """The endpoint's JSON body as bytes, and when the letter's signatures last changed."""
    counts = Signature.objects.counts_for(letter)
    changed_at = letter_changed_at(letter.pk)
    body = {
        "slug": letter.slug,
        "total": counts["total"],
        "by_level": counts["by_level"],
        "goal": letter.goal,
        "updated_at": datetime.fromtimestamp(changed_at, UTC).isoformat(),
    }
    # Serialised once, as JsonResponse would, and kept as bytes.
    return json.dumps(body, cls=DjangoJSONEncoder).encode(), changed_at


@read_only_api
def letter_count(request, slug):
    # Every open letter page polls this, and at a spike most of the requests to the site are
    # these: the answer is kept COUNT_CACHE_SECONDS in the shared cache, so a crowd costs one
    # database read per interval instead of two per request.
    key = f"count-api:{hashlib.sha256(slug.encode()).hexdigest()}"
    if (cached := try_cache(lambda: cache.get(key))) is None:
        letter = api_letter(slug)
        if letter is None:
            return not_found()
        cached = count_document(letter)
        if settings.COUNT_CACHE_SECONDS:
            try_cache(lambda: cache.set(key, cached, settings.COUNT_CACHE_SECONDS))
    content, changed_at = cached
    response = HttpResponse(content, content_type="application/json")
    # A few seconds in browsers and proxies absorb the crowd too, and stale-while-revalidate
    # keeps counters answering while the cache refreshes.
    public_cacheable(response, max_age=5, stale=30)
    # Anonymous pollers get it from SharedPageCacheMiddleware, before sessions and the rest.
    share(response, seconds=settings.COUNT_CACHE_SECONDS)
    return allow_any_origin(conditional(request, response, last_modified=changed_at))
