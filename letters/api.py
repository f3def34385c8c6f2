"""The public JSON API for letters (see README, "Public interface")."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from letters.models import Letter
from letters.views import public_letter
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


@require_safe
def letter_list(request):
    letters = list(Letter.objects.public().select_related("current_revision"))
    counts = Signature.objects.counts_by_letter([letter.pk for letter in letters])
    return JsonResponse({"results": [letter_json(letter, counts[letter.pk]) for letter in letters]})


@require_safe
def letter_detail(request, slug):
    letter = public_letter(slug)
    return JsonResponse(letter_json(letter, Signature.objects.counts_for(letter)))
