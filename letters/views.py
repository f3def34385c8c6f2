from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from letters.models import Letter
from signatories.forms import SignForm
from signatories.models import Signature
from signatories.orcid import orcid_account, record_name

RECENT_SIGNATORIES = 10


def public_letter(slug):
    return get_object_or_404(Letter.objects.public().select_related("current_revision"), slug=slug)


@require_safe
def index(request):
    letters = list(Letter.objects.public().select_related("current_revision"))
    counts = Signature.objects.counts_by_letter([letter.pk for letter in letters])
    rows = [(letter, counts[letter.pk]) for letter in letters]
    return render(request, "letters/index.html", {"rows": rows})


def render_letter(request, letter, form=None, status=200):
    """The letter page; the sign view re-renders it with a bound form on errors."""
    account = orcid_account(request.user)
    if form is None:
        initial = {"name": record_name(account.extra_data)} if account else {}
        form = SignForm(initial=initial)
    context = {
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
    }
    return render(request, "letters/detail.html", context, status=status)


@require_safe
def detail(request, slug):
    return render_letter(request, public_letter(slug))


@require_safe
def how_we_verify(request):
    return render(request, "letters/how_we_verify.html")


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
