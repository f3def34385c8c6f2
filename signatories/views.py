import secrets
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.cache import KeptHere
from config.db_router import read_from_replica
from config.http import (
    allow_any_origin,
    csrf_by_origin,
    is_anonymous,
    public_cacheable,
    shared_page,
)
from letters.views import letter_to_sign, public_letter, render_letter
from signatories.forms import SignatoryFilterForm, SignForm, challenge_form
from signatories.limits import fresh_link_allowed, refused
from signatories.listing import keyset_page
from signatories.models import (
    UNPUBLISHED_REVIEWS,
    Organization,
    OrganizationName,
    Signature,
    Snapshot,
    fold,
)
from signatories.opendata import (
    OPEN_DATA_COLUMNS,
    OPEN_DATA_SCHEMA_VERSION,
    csv_body,
    json_document,
    open_data_rows,
)
from signatories.orcid import employs, orcid_account
from signatories.record import manifest
from signatories.safeguards import signing_paused

CONFIRMATION_MAX_AGE = settings.CONFIRMATION_MAX_AGE_DAYS * 24 * 3600


def see_other(viewname, **kwargs):
    """A 303 redirect: after a POST, the browser GETs the next page."""
    response = HttpResponseRedirect(reverse(viewname, kwargs=kwargs))
    response.status_code = 303
    return response


def render_closed(request, letter):
    return render(request, "signatories/closed.html", {"letter": letter}, status=403)


PAUSED_RETRY_AFTER_SECONDS = 3600


def render_paused(request, letter):
    """Signing is paused by a kill switch: nothing is stored, and the signer may come back."""
    response = render(request, "signatories/paused.html", {"letter": letter}, status=503)
    response["Retry-After"] = str(PAUSED_RETRY_AFTER_SECONDS)
    return response


@require_POST
@csrf_by_origin
def sign(request, slug):
    letter = letter_to_sign(slug)
    if not letter.accepts_signatures():
        return render_closed(request, letter)
    # --- Abuse safeguards (signatories/safeguards.py, limits.py): the kill switch and the
    # optional proof-of-work challenge.
    if signing_paused(letter):
        return render_paused(request, letter)
    challenge = challenge_form(request, letter)
    # --- End of safeguards.
    form = SignForm(request.POST, languages=letter.versions())
    if not form.is_valid() or not (challenge is None or challenge.is_valid()):
        # The page shows again in the version the signer was reading.
        shown = public_letter(slug, language=request.POST.get("language", ""))
        return render_letter(request, shown, form=form, challenge=challenge, status=400)
    # --- Abuse safeguards: a filled honeypot, or an address or domain over its limit, gets the
    # same answer as a signer, with nothing stored and no email sent, so a script cannot probe.
    if refused(request, letter, form.cleaned_data["email"]):
        return see_other("signatories:check_email", slug=letter.slug)
    # --- End of safeguards.
    account = orcid_account(request.user)
    orcid = {}
    if account is not None:
        orcid = {
            "orcid_id": account.uid,
            "orcid_employment": employs(account.extra_data, form.cleaned_data["organization"]),
        }
    Signature.sign(
        letter=letter,
        client_ip=request.META.get("REMOTE_ADDR") or None,
        **form.cleaned_data,
        **orcid,
    )
    # The same page answers a new signer, a repeat and someone who already confirmed:
    # the form must never tell a stranger whether an address has signed.
    return see_other("signatories:check_email", slug=letter.slug)


@require_safe
@shared_page
@read_from_replica
def check_email(request, slug):
    """Where every signing POST leads, the same for every signer: at a spike, each signature
    is also a read of this page, and one shared copy answers them all."""
    letter = public_letter(slug)
    return render(request, "signatories/check_email.html", {"letter": letter})


def render_bad_link(request, letter, *, expired=False, signature=None):
    context = {
        "letter": letter,
        "expired": expired,
        "can_resend": signature is not None and signature.is_pending,
    }
    return render(request, "signatories/bad_link.html", context, status=410 if expired else 400)


@require_http_methods(["GET", "POST"])
def confirm(request, slug, token):
    """GET shows a button; POST confirms.

    Some mail servers open links to scan them, so only the button's POST changes anything.
    """
    letter = letter_to_sign(slug)
    try:
        signature = Signature.from_confirmation_token(token, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as expired:
        signature = (
            expired.signature
            if expired.signature and expired.signature.letter_id == letter.pk
            else None
        )
        if request.method == "POST" and signature is not None and signature.is_pending:
            # The expired page's button asks for a fresh link. Only the signer holds this link,
            # so the cap that strangers can use up does not apply; a daily limit of its own does.
            if fresh_link_allowed(signature):
                signature.request_email(capped=False)
            return see_other("signatories:check_email", slug=letter.slug)
        return render_bad_link(request, letter, expired=True, signature=signature)
    except (signing.BadSignature, Signature.DoesNotExist):
        return render_bad_link(request, letter)
    if signature.letter_id != letter.pk:
        return render_bad_link(request, letter)
    signature.letter = letter
    if not signature.is_pending:
        return render_confirmed(request, letter, signature, already=True)
    if not letter.accepts_signatures():
        return render_closed(request, letter)
    if request.method == "GET":
        return render(
            request, "signatories/confirm.html", {"letter": letter, "signature": signature}
        )
    signature.confirm_and_send_manage_link()
    return render_confirmed(request, letter, signature, already=False)


# The "confirmed" page of anonymous signers, one per letter, language and outcome, with a stand-in
# for the signer's manage link: the page is the same for all of them but for that link, and
# rendering it took a third of confirming's CPU. Kept a second (KeptHere), so a renamed letter
# or a new banner shows within it.
CONFIRMED_PAGES = KeptHere(size=64)
MANAGE_LINK_STAND_IN = f"manage-link-{secrets.token_hex(8)}"


def render_confirmed(request, letter, signature, *, already):
    context = {
        "letter": letter,
        "signature": signature,
        "already": already,
        "held": signature.review in UNPUBLISHED_REVIEWS,
        # From the row this request just read or wrote: two queries fewer than asking again.
        "counted": signature.counted_level is not None,
        "listed": signature.is_listed_on(letter),
    }
    # A path, not the emailed URL: the language form's next address must be on this host.
    manage_path = signature.manage_path()
    if is_anonymous(request):
        # As a shared page: no CSRF token (the language form is checked by origin).
        request.shared_page = True
        outcome = (letter.pk, get_language(), already, context["held"], context["counted"],
                   context["listed"], signature.public)  # fmt: skip
        page = CONFIRMED_PAGES.get(
            outcome,
            lambda: render_to_string(
                "signatories/confirmed.html",
                context | {"manage_path": MANAGE_LINK_STAND_IN},
                request,
            ),
        )
        response = HttpResponse(page.replace(MANAGE_LINK_STAND_IN, escape(manage_path)))
    else:
        response = render(
            request, "signatories/confirmed.html", context | {"manage_path": manage_path}
        )
    # The manage link is a secret: no cache may keep the page.
    add_never_cache_headers(response)
    return response


SIGNATORIES_PER_PAGE = 50


def listed_signatories(letter):
    return Signature.objects.listed(letter).select_related("organization")


@require_safe
@shared_page
@read_from_replica
def signatory_list(request, slug):
    letter = public_letter(slug)
    form = SignatoryFilterForm(request.GET)
    context = {"letter": letter, "form": form, "counts": Signature.objects.counts_for(letter)}
    if not form.is_valid():
        return render(request, "signatories/list.html", context, status=400)
    rows, next_cursor = keyset_page(
        form.filter(listed_signatories(letter)), form.cleaned_data["cursor"], SIGNATORIES_PER_PAGE
    )
    if letter.current_revision.number > 1:
        # The text was revised: say which revision each signer read, with one query for the
        # page rather than one per row.
        numbers = dict(letter.revisions.values_list("pk", "number"))
        for row in rows:
            row.revision_number = numbers.get(row.revision_id)
    filters = request.GET.copy()
    filters.pop("cursor", None)
    context |= {
        "rows": rows,
        "filtered": any(form.cleaned_data[k] for k in ["q", "level", "organization", "country"]),
        "first_page": f"?{filters.urlencode()}",
        "next_page": f"?{urlencode({**filters.dict(), 'cursor': next_cursor})}"
        if next_cursor
        else None,
        "is_first_page": form.cleaned_data["cursor"] is None,
    }
    return render(request, "signatories/list.html", context)


def download_headers(response, letter, extension):
    response["Content-Disposition"] = (
        f'attachment; filename="{letter.slug}-signatories.{extension}"'
    )
    response["X-Open-Data-Schema"] = str(OPEN_DATA_SCHEMA_VERSION)
    return allow_any_origin(public_cacheable(response, max_age=60, stale=300))


@require_safe
@read_from_replica
def signatory_csv(request, slug):
    letter = public_letter(slug)
    response = StreamingHttpResponse(
        csv_body(Signature.objects.listed(letter)), content_type="text/csv; charset=utf-8"
    )
    return download_headers(response, letter, "csv")


@require_safe
@read_from_replica
def signatory_json(request, slug):
    """The same rows as the CSV, as one JSON document streamed row by row."""
    letter = public_letter(slug)
    header = {
        "schema_version": OPEN_DATA_SCHEMA_VERSION,
        "letter": {
            "slug": letter.slug,
            "title": letter.title,
            "url": settings.SITE_URL + letter.get_absolute_url(),
        },
        "generated_at": timezone.now().isoformat(),
        "columns": OPEN_DATA_COLUMNS,
    }

    records = open_data_rows(Signature.objects.listed(letter))
    chunks = json_document(header, "signatories", records)
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    return download_headers(response, letter, "json")


SUGGESTIONS = 10


@require_safe
def organization_search(request):
    """Suggestions for the affiliation field: active organizations whose names start with ?q=."""
    query = fold(request.GET.get("q", ""))[:100].replace("\x00", "")
    if len(query) < 2:
        return JsonResponse({"results": []})
    matches = (
        OrganizationName.objects.filter(
            name_folded__startswith=query, organization__status="active"
        )
        .values_list("organization_id", flat=True)
        .order_by("organization_id")
        .distinct()[: SUGGESTIONS * 3]
    )
    organizations = Organization.objects.filter(pk__in=list(matches))
    ranked = sorted(
        organizations, key=lambda o: (not fold(o.name).startswith(query), len(o.name), o.name)
    )
    results = [
        {"ror_id": o.ror_id, "name": o.name, "country": o.country_code}
        for o in ranked[:SUGGESTIONS]
    ]
    response = JsonResponse({"results": results})
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
@read_from_replica
def record(request, slug):
    letter = public_letter(slug)
    snapshots = letter.snapshots.defer("content").order_by("-day")
    return render(request, "signatories/record.html", {"letter": letter, "snapshots": snapshots})


@require_safe
@read_from_replica
def record_manifest(request, slug):
    letter = public_letter(slug)
    response = JsonResponse(manifest(letter, settings.SITE_URL))
    return allow_any_origin(public_cacheable(response, max_age=300))


@require_safe
@read_from_replica
def record_day(request, slug, day):
    letter = public_letter(slug)
    try:
        snapshot = letter.snapshots.get(day=date.fromisoformat(day))
    except (ValueError, Snapshot.DoesNotExist):
        raise Http404("No snapshot for that day.") from None
    response = HttpResponse(snapshot.content.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{snapshot.day.isoformat()}.csv"'
    # A day's snapshot never changes once taken.
    return allow_any_origin(public_cacheable(response, max_age=31536000, stale=0))
