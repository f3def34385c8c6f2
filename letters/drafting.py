"""Starting a letter, editing its working text with a preview, and the secret preview link."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from letters.forms import LetterForm, NewLetterForm
from letters.markdown import render_markdown
from letters.models import AuditEvent, Letter
from letters.permissions import organizer_required, two_factor_refusal


@require_http_methods(["GET", "POST"])
@login_required
def new_letter(request):
    refusal = two_factor_refusal(request)
    if refusal is not None:
        return refusal
    form = NewLetterForm(request.POST or None)
    if form.is_valid():
        letter = Letter.start(by=request.user, **form.cleaned_data)
        messages.success(request, _("Your draft is ready. Write the letter, then publish it."))
        return redirect("organize:edit", letter.slug)
    status = 400 if form.errors else 200
    return render(request, "letters/organize/new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@organizer_required("edit")
def edit(request, letter, membership):
    """The working text. Saving never touches the public page: publishing does (see publish)."""
    form = LetterForm(request.POST or None, instance=letter)
    preview_html = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            # The same renderer and sanitiser as publishing, so the preview is what readers get.
            preview_html = render_markdown(form.cleaned_data["body"])
        else:
            changed = form.changed_fields()
            letter = form.save()
            if changed:
                AuditEvent.record(
                    letter=letter,
                    actor=request.user,
                    action="letter.edited",
                    target=letter,
                    fields=changed,
                )
            messages.success(request, _("Saved."))
            return redirect("organize:edit", letter.slug)
    # A refused form must not leave the half-validated values on the letter the page shows.
    letter.refresh_from_db()
    context = {
        "letter": letter,
        "form": form,
        "preview_html": preview_html,
        "unpublished_changes": letter.is_public and letter.has_unpublished_changes(),
    }
    return render(request, "letters/organize/edit.html", context, status=status)


@require_POST
@organizer_required("manage_letter")
def regenerate_preview_link(request, letter, membership):
    letter.regenerate_preview_token(by=request.user)
    messages.success(request, _("A new preview link was made; the old one no longer works."))
    return redirect("organize:edit", letter.slug)


@require_safe
def preview(request, slug, token):
    """The working text as the public page will show it, for whoever holds the secret link."""
    letter = get_object_or_404(Letter, slug=slug)
    if not secrets.compare_digest(token.encode(), letter.preview_token.encode()):
        raise Http404("No preview at this address.")
    context = {"letter": letter, "body_html": render_markdown(letter.body)}
    response = render(request, "letters/preview.html", context)
    # A draft must not end up in search results, nor its secret address in other sites' logs.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
