"""The public JSON API for letters (see README, "Public interface")."""

from django.conf import settings
from django.http import JsonResponse

from config.http import allow_any_origin, conditional, public_cacheable, read_only_api
from letters.models import Letter, letter_changed_at
from signatories.models import Signature


def letter_json(letter, counts):
    return {
        "slug": letter.slug,
        "title": letter.title,
        "status": letter.public_status,
        "url": settings.SITE_URL + letter.get_absolute_url(),
        "summary": letter.summary,
        "published_at": letter.published_at.isoformat() if letter.published_at else None,
        "closes_at": letter.closes_at.isoformat() if letter.closes_at else None,
        "goal": letter.goal,
        "revision": letter.current_revision.number if letter.current_revision else None,
        "counts": counts,
    }


@read_only_api
def letter_list(request):
    # Archived letters keep their address (and answer there), but leave the list, as on the index.
    letters = list(Letter.objects.listed().select_related("current_revision"))
    counts = Signature.objects.counts_by_letter([letter.pk for letter in letters])
    response = JsonResponse(
        {"results": [letter_json(letter, counts[letter.pk]) for letter in letters]}
    )
    return allow_any_origin(conditional(request, public_cacheable(response, max_age=15)))


def api_letter(slug):
    """The public letter with this slug, or None (the API answers a JSON 404, not a page)."""
    return Letter.objects.public().select_related("current_revision").filter(slug=slug).first()


def not_found():
    return allow_any_origin(
        JsonResponse({"error": "No published letter has this slug."}, status=404)
    )


@read_only_api
def letter_detail(request, slug):
    letter = api_letter(slug)
    if letter is None:
        return not_found()
    response = JsonResponse(letter_json(letter, Signature.objects.counts_for(letter)))
    public_cacheable(response, max_age=15)
    return allow_any_origin(
        conditional(request, response, last_modified=letter_changed_at(letter.pk))
    )
