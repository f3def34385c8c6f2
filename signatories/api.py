"""The public JSON API for signatories (see README, "Public interface")."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse

from config.http import allow_any_origin, conditional, public_cacheable, read_only_api
from letters.api import api_letter, not_found
from letters.models import letter_changed_at
from signatories.forms import SignatoryFilterForm
from signatories.listing import keyset_page
from signatories.models import Signature

API_PAGE_SIZE = 100


def signatory_json(signature):
    # A signer who chose "name only" is published without affiliation, role or organization.
    shown = signature.show_affiliation
    organization = signature.organization if shown else None
    return {
        "name": signature.name,
        "affiliation": signature.affiliation if shown else "",
        "role": signature.role if shown else "",
        "level": signature.level,
        "organization": {"name": organization.name, "ror_id": organization.ror_id}
        if organization
        else None,
        "orcid": signature.orcid_id or None,
        "signed_at": signature.signed_at.isoformat(),
        "notable": signature.notable,
    }


def api_error(form):
    errors = {
        field: [e["message"] for e in messages]
        for field, messages in form.errors.get_json_data().items()
    }
    return allow_any_origin(JsonResponse({"errors": errors}, status=400))


@read_only_api
def signatory_list(request, slug):
    letter = api_letter(slug)
    if letter is None:
        return not_found()
    form = SignatoryFilterForm(request.GET)
    if not form.is_valid():
        return api_error(form)
    signatures = form.filter(Signature.objects.listed(letter).select_related("organization"))
    rows, next_cursor = keyset_page(signatures, form.cleaned_data["cursor"], API_PAGE_SIZE)
    next_url = None
    if next_cursor:
        query = {k: v for k, v in request.GET.items() if k != "cursor"} | {"cursor": next_cursor}
        next_url = (
            settings.SITE_URL + reverse("api_signatories", args=[slug]) + "?" + urlencode(query)
        )
    response = JsonResponse({"results": [signatory_json(s) for s in rows], "next": next_url})
    public_cacheable(response, max_age=15, stale=60)
    return allow_any_origin(
        conditional(request, response, last_modified=letter_changed_at(letter.pk))
    )
