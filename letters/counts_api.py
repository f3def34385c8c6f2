"""The count endpoint for live counters: small, cacheable, readable from any origin."""

from datetime import UTC, datetime

from django.http import JsonResponse

from config.http import allow_any_origin, conditional, public_cacheable, read_only_api
from letters.api import api_letter, not_found
from letters.models import letter_changed_at
from signatories.models import Signature


@read_only_api
def letter_count(request, slug):
    letter = api_letter(slug)
    if letter is None:
        return not_found()
    counts = Signature.objects.counts_for(letter)
    changed_at = letter_changed_at(letter.pk)
    response = JsonResponse(
        {
            "slug": letter.slug,
            "total": counts["total"],
            "by_level": counts["by_level"],
            "goal": letter.goal,
            "updated_at": datetime.fromtimestamp(changed_at, UTC).isoformat(),
        }
    )
    # Every open letter page polls this; a few seconds in a shared cache absorb the crowd, and
    # stale-while-revalidate keeps counters answering while the cache refreshes.
    public_cacheable(response, max_age=5, stale=30)
    return allow_any_origin(conditional(request, response, last_modified=changed_at))
