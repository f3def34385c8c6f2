import csv

from django.conf import settings
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from letters.views import public_letter, render_letter
from signatories.forms import SignatoryFilterForm, SignForm
from signatories.models import Organization, OrganizationName, Signature, fold
from signatories.orcid import employs, orcid_account

SIGNATORIES_PER_PAGE = 50
CONFIRMATION_MAX_AGE = settings.CONFIRMATION_MAX_AGE_DAYS * 24 * 3600


def see_other(viewname, **kwargs):
    """A 303 redirect: after a POST, the browser GETs the next page."""
    response = HttpResponseRedirect(reverse(viewname, kwargs=kwargs))
    response.status_code = 303
    return response


def render_closed(request, letter):
    return render(request, "signatories/closed.html", {"letter": letter}, status=403)


@require_POST
def sign(request, slug):
    letter = public_letter(slug)
    if not letter.accepts_signatures():
        return render_closed(request, letter)
    form = SignForm(request.POST)
    if not form.is_valid():
        return render_letter(request, letter, form=form, status=400)
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
def check_email(request, slug):
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
    letter = public_letter(slug)
    try:
        signature = Signature.from_confirmation_token(token, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as expired:
        signature = (
            expired.signature
            if expired.signature and expired.signature.letter_id == letter.pk
            else None
        )
        if request.method == "POST" and signature is not None and signature.is_pending:
            # The expired page's button asks for a fresh link.
            signature.request_email()
            return see_other("signatories:check_email", slug=letter.slug)
        return render_bad_link(request, letter, expired=True, signature=signature)
    except (signing.BadSignature, Signature.DoesNotExist):
        return render_bad_link(request, letter)
    if signature.letter_id != letter.pk:
        return render_bad_link(request, letter)
    if not signature.is_pending:
        return render(
            request,
            "signatories/confirmed.html",
            {"letter": letter, "signature": signature, "already": True},
        )
    if not letter.accepts_signatures():
        return render_closed(request, letter)
    if request.method == "GET":
        return render(
            request, "signatories/confirm.html", {"letter": letter, "signature": signature}
        )
    signature.confirm()
    return render(
        request,
        "signatories/confirmed.html",
        {"letter": letter, "signature": signature, "already": False},
    )


def filtered_signatories(request, letter):
    """The letter's listed signatories narrowed by ?q= and ?level=, or the form's errors."""
    form = SignatoryFilterForm(request.GET)
    signatures = Signature.objects.listed(letter).select_related("organization")
    if form.is_valid():
        signatures = signatures.search(form.cleaned_data["q"])
        if form.cleaned_data["level"]:
            signatures = signatures.filter(level=form.cleaned_data["level"])
    return form, signatures


@require_safe
def signatory_list(request, slug):
    letter = public_letter(slug)
    form, signatures = filtered_signatories(request, letter)
    if not form.is_valid():
        context = {
            "letter": letter,
            "form": form,
            "page": None,
            "counts": Signature.objects.counts_for(letter),
        }
        return render(request, "signatories/list.html", context, status=400)
    # Notable signatories first, then the most recently confirmed.
    paginator = Paginator(
        signatures.order_by("-notable", "-confirmed_at", "-id"), SIGNATORIES_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "letter": letter,
        "form": form,
        "page": page,
        "counts": Signature.objects.counts_for(letter),
        "query": query.urlencode(),
    }
    return render(request, "signatories/list.html", context)


class Echo:
    def write(self, value):
        return value


CSV_COLUMNS = ["name", "affiliation", "role", "level", "signed_at", "confirmed_at"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Spreadsheets run a cell starting with = + - @ tab or CR as a formula; quote it."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


@require_safe
def signatory_csv(request, slug):
    letter = public_letter(slug)
    rows = (
        Signature.objects.listed(letter)
        .order_by("confirmed_at", "id")
        .values_list(*CSV_COLUMNS)
        .iterator(chunk_size=2000)
    )
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for row in rows:
            yield writer.writerow(
                [neutralise_cell(v.isoformat() if hasattr(v, "isoformat") else v) for v in row]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{letter.slug}-signatories.csv"'
    return response


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
