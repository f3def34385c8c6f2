"""Signer self-service through the manage link: how they are shown, their data, withdrawal.

The manage link is separate from the confirmation link (its own salt, no expiry), sent by
email once the signature is confirmed and again on request. GET pages only show; every change
is a POST, because mail scanners open links.
"""

import json

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from letters.views import public_letter
from signatories.addresses import canonical_email
from signatories.forms import ManageForm, ManageRequestForm
from signatories.limits import manage_link_allowed
from signatories.models import UNPUBLISHED_REVIEWS, Signature
from signatories.views import see_other


def managed_signature(request, slug, token):
    """(letter, signature, None), or (letter, None, a friendly error page) for a bad link.

    A forged or mangled token answers 400; a withdrawn signature, or one of another letter,
    answers 404: the page says the same either way and never names the signer.
    """
    letter = public_letter(slug)
    try:
        signature = Signature.from_manage_token(token)
    except signing.BadSignature:
        return letter, None, render_bad_manage_link(request, letter, status=400)
    except Signature.DoesNotExist:
        return letter, None, render_bad_manage_link(request, letter, status=404)
    if signature.letter_id != letter.pk:
        return letter, None, render_bad_manage_link(request, letter, status=404)
    return letter, signature, None


def render_bad_manage_link(request, letter, *, status):
    context = {"letter": letter, "gone": status == 404}
    return render(request, "signatories/manage_bad_link.html", context, status=status)


@require_http_methods(["GET", "POST"])
def manage(request, slug, token):
    letter, signature, error = managed_signature(request, slug, token)
    if error:
        return error
    initial = {"display": signature.display, "notify_changes": signature.notify_changes}
    # Not `request.POST or None`: an empty POST must be refused, not shown as a blank form.
    form = ManageForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            return render_manage(request, letter, signature, form, status=400)
        if not signature.change_display(**form.cleaned_data):
            return render_bad_manage_link(request, letter, status=404)
        return see_other("signatories:manage_saved", slug=letter.slug, token=token)
    return render_manage(request, letter, signature, form)


@require_safe
def manage_saved(request, slug, token):
    letter, signature, error = managed_signature(request, slug, token)
    if error:
        return error
    form = ManageForm(
        initial={"display": signature.display, "notify_changes": signature.notify_changes}
    )
    return render_manage(request, letter, signature, form, saved=True)


def render_manage(request, letter, signature, form, *, status=200, saved=False):
    context = {
        "letter": letter,
        "signature": signature,
        "form": form,
        "token": signature.manage_token(),
        "saved": saved,
        "counted": signature.counted_level is not None,
        "held": signature.review in UNPUBLISHED_REVIEWS,
        "listed": Signature.objects.listed(letter).filter(pk=signature.pk).exists(),
    }
    return render(request, "signatories/manage.html", context, status=status)


@require_safe
def manage_data(request, slug, token):
    """Everything we hold about the signer, as a JSON download: it is their own data."""
    letter, signature, error = managed_signature(request, slug, token)
    if error:
        return error
    body = json.dumps(
        signature.personal_data(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{letter.slug}-my-signature.json"'
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def withdraw(request, slug, token):
    """GET asks "are you sure?"; POST withdraws."""
    letter, signature, error = managed_signature(request, slug, token)
    if error:
        return error
    if request.method == "GET":
        context = {"letter": letter, "signature": signature, "token": token}
        return render(request, "signatories/withdraw.html", context)
    signature.withdraw_by_signer()
    return see_other("signatories:withdrawn", slug=letter.slug)


@require_safe
def withdrawn(request, slug):
    return render(request, "signatories/withdrawn.html", {"letter": public_letter(slug)})


@require_http_methods(["GET", "POST"])
def manage_request(request, slug):
    """Ask for the manage link by email.

    The answer is the same whether or not the address has signed, so the form cannot be used
    to learn who signed. A confirmed signer's manage links are limited per address and day
    (MANAGE_LINKS_PER_DAY), not counted against the lifetime cap on signing's emails: anyone who
    knows the address can use that cap up, and the signer would then never get the link again.
    """
    letter = public_letter(slug)
    form = ManageRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            context = {"letter": letter, "form": form}
            return render(request, "signatories/manage_request.html", context, status=400)
        if manage_link_allowed(letter, form.cleaned_data["email"]):
            canonical = canonical_email(form.cleaned_data["email"])
            signature = (
                Signature.objects.live().filter(letter=letter, email_canonical=canonical).first()
            )
            # A pending signature is sent its confirmation link instead, within the cap: anyone
            # can sign with an address, and would otherwise have this form send it three a day.
            if signature is not None:
                signature.request_email(manage=True, capped=signature.is_pending)
        return see_other("signatories:manage_requested", slug=letter.slug)
    return render(request, "signatories/manage_request.html", {"letter": letter, "form": form})


@require_safe
def manage_requested(request, slug):
    return render(request, "signatories/manage_requested.html", {"letter": public_letter(slug)})
