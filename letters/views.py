import copy

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.cache import KeptHere, best_effort, get_or_set
from config.db_router import read_from_replica
from config.http import keep_private, shared_page
from letters.models import Letter
from letters.versions import version_context
from signatories.forms import SignForm, challenge_form
from signatories.models import Signature
from signatories.orcid import orcid_account, record_name
from signatories.safeguards import signing_paused

RECENT_SIGNATORIES = 10


def public_letter(slug, *, language=None):
    """The published or closed letter; with `language`, ready to show its version in it."""
    letters = Letter.objects.public().select_related("current_revision")
    if language is not None:
        letters = letters.with_versions(language)
    return get_object_or_404(letters, slug=slug)


# How long a letter read for signing and confirming stays in the cache. Every change to a letter,
# its revisions or translations drops it at once (letters/apps.py); this bounds only a change
# made around the ORM (a queryset update()).
SIGNING_LETTER_SECONDS = 60


def signing_letter_key(slug):
    return f"letter-to-sign:{slug}"


# The letters this process read for signing (a spike signs one or two).
SIGNING_LETTERS = KeptHere(size=32)


def letter_to_sign(slug):
    """The public letter with what signing and confirming need, from the cache when it can.

    A spike of signers is a spike of requests for one letter: reading it from the shared cache
    saves each of them a query that compiles a subquery for the languages it can be signed in.
    Each process also keeps what it read for a second (KeptHere): reading and unpickling it cost
    a signing request 6-8% of its CPU. So a change made in another process (closing the letter,
    say) reaches signers here within that second; one made in this process, at once
    (forget_letter_to_sign). Each caller gets its own copy.
    """
    letter = SIGNING_LETTERS.get(
        slug,
        lambda: get_or_set(
            signing_letter_key(slug),
            lambda: get_object_or_404(
                Letter.objects.public().select_related("current_revision").with_languages(),
                slug=slug,
            ),
            SIGNING_LETTER_SECONDS,
        ),
    )
    return copy.copy(letter)


def forget_letter_to_sign(slug):
    """Drop the cached letter once the transaction changing it commits, so no request reading
    it meanwhile can put the old one back.

    Best effort: with Redis out of reach the change is committed all the same, and the callbacks
    after this one (the signers' notice of a revision) must still run; a copy in a Redis this
    process cannot reach expires within SIGNING_LETTER_SECONDS.
    """

    def forget():
        SIGNING_LETTERS.forget(slug)
        with best_effort("dropping the cached letter"):
            cache.delete(signing_letter_key(slug))

    transaction.on_commit(forget)


@require_safe
@read_from_replica
def index(request):
    letters = list(Letter.objects.listed().with_versions(get_language()))
    counts = Signature.objects.counts_by_letter([letter.pk for letter in letters])
    rows = [(letter, counts[letter.pk]) for letter in letters]
    return render(request, "letters/index.html", {"rows": rows})


def render_letter(request, letter, form=None, status=200, challenge=None):
    """The letter page; the sign view re-renders it with a bound form on errors.

    `letter` comes from public_letter(slug, language=…), which decides the version shown.
    """
    account = orcid_account(request.user)
    versions = version_context(letter)
    if form is None:
        initial = {"name": record_name(account.extra_data)} if account else {}
        initial["language"] = versions["text_language"]
        form = SignForm(initial=initial, languages=letter.versions())
    context = {
        **versions,
        "letter": letter,
        "revision": letter.current_revision,
        "orcid_account": account,
        "orcid_enabled": bool(settings.ORCID_CLIENT_ID),
        "counts": Signature.objects.counts_for(letter),
        "recent": Signature.objects.listed(letter)
        .select_related("organization")
        .order_by("-confirmed_at", "-id")[:RECENT_SIGNATORIES],
        "form": form,
        "accepts_signatures": letter.accepts_signatures(),
        # Kill switch and proof of work (signatories/safeguards.py).
        "signing_paused": signing_paused(letter),
        "challenge": challenge or challenge_form(request, letter, bound=False),
    }
    response = render(request, "letters/detail.html", context, status=status)
    if context["challenge"] is not None:
        # Each challenge may be solved once: a page carrying one is never shared.
        keep_private(response)
    return response


@require_safe
@shared_page
@read_from_replica
def detail(request, slug):
    # ?version= is a link from the list of versions; otherwise the reader's own language is
    # shown when the letter has a translation into it.
    language = request.GET.get("version") or get_language()
    return render_letter(request, public_letter(slug, language=language))


@require_safe
def how_we_verify(request):
    return render(request, "letters/how_we_verify.html")


@require_safe
def privacy(request):
    """What we keep and for how long, from the settings in force, so the page cannot drift."""
    context = {
        "unconfirmed_days": settings.UNCONFIRMED_RETENTION_DAYS,
        "closed_days": settings.CLOSED_LETTER_RETENTION_DAYS,
        "confirmation_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        "max_emails": settings.MAX_EMAILS_PER_SIGNATURE,
        "links_per_day": max(settings.FRESH_LINKS_PER_DAY, settings.MANAGE_LINKS_PER_DAY),
    }
    return render(request, "letters/privacy.html", context)


@require_safe
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
