"""A letter's life: publishing and revising, closing, reopening, archiving, its switches;
and the signer's way to stop emails about revisions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from letters import tasks
from letters.forms import ReviseForm, SettingsForm
from letters.history import diff_texts
from letters.models import AuditEvent, Letter
from letters.notices import signature_for_unsubscribe
from letters.permissions import organizer_required


def publish_page(request, letter, *, form=None, error=None, status=200):
    revision = letter.current_revision
    diff = None
    if revision is not None and letter.has_unpublished_changes():
        diff = diff_texts(revision.full_text(), letter.full_text())
    context = {
        "letter": letter,
        "form": form or ReviseForm(),
        "diff": diff,
        "error": error,
    }
    return render(request, "letters/organize/publish.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organizer_required("publish")
def publish(request, letter, membership):
    """The first publication, or a new revision of the edited text with a change note."""
    if request.method == "GET":
        return publish_page(request, letter)
    if letter.status == Letter.Status.DRAFT:
        try:
            letter.publish(by=request.user)
        except ValidationError as error:
            return publish_page(request, letter, error=error.messages[0], status=400)
        messages.success(request, _("Published: the letter is public and open for signing."))
        return redirect("organize:publish", letter.slug)
    form = ReviseForm(request.POST)
    if not form.is_valid():
        return publish_page(request, letter, form=form, status=400)
    try:
        revision = letter.revise(by=request.user, change_note=form.cleaned_data["change_note"])
    except ValidationError as error:
        return publish_page(request, letter, form=form, error=error.messages[0], status=400)
    if form.cleaned_data["notify_signers"]:
        AuditEvent.record(
            letter=letter, actor=request.user, action="letter.signers_notified", target=revision
        )
        # Enqueued once the revision is committed, so the worker always finds it.
        transaction.on_commit(lambda: tasks.notify_signers_of_revision.enqueue(revision.pk))
    messages.success(request, _("Revision %(number)d is published.") % {"number": revision.number})
    return redirect("organize:publish", letter.slug)


def lifecycle_action(method, done_message):
    @require_POST
    @organizer_required("manage_letter")
    def view(request, letter, membership):
        try:
            getattr(letter, method)(by=request.user)
        except ValidationError as error:
            return settings_page(request, letter, error=error.messages[0], status=409)
        messages.success(request, done_message)
        return redirect("organize:settings", letter.slug)

    return view


# Lazy: made at import, the messages are translated when a request shows them.
close = lifecycle_action("close", gettext_lazy("Signing is closed."))
reopen = lifecycle_action("reopen", gettext_lazy("Signing is open again."))
archive = lifecycle_action(
    "archive", gettext_lazy("The letter is archived: off the index, signing closed.")
)


def settings_page(request, letter, *, form=None, error=None, status=200):
    context = {"letter": letter, "form": form or SettingsForm(instance=letter), "error": error}
    return render(request, "letters/organize/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organizer_required("manage_letter")
def letter_settings(request, letter, membership):
    if request.method == "GET":
        return settings_page(request, letter)
    form = SettingsForm(request.POST, instance=Letter.objects.get(pk=letter.pk))
    if not form.is_valid():
        return settings_page(request, letter, form=form, status=400)
    letter.change_settings(by=request.user, **form.cleaned_data)
    messages.success(request, _("Settings saved."))
    return redirect("organize:settings", letter.slug)


# Mail clients' one-click unsubscribe (RFC 8058) POSTs without a CSRF token; the signed token
# in the address is what authorises the change, and it changes nothing but this preference.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, slug, token):
    """GET shows a button (mail scanners open links); POST stops revision emails."""
    letter = get_object_or_404(Letter.objects.public(), slug=slug)
    signature = signature_for_unsubscribe(token, letter)
    if signature is None:
        return render(
            request, "letters/unsubscribe.html", {"letter": letter, "bad_link": True}, status=400
        )
    done = request.method == "POST"
    if done and signature.notify_changes:
        signature.notify_changes = False
        signature.save(update_fields=["notify_changes"])
        AuditEvent.record(
            letter=letter, actor="signer", action="signature.unsubscribed", target=signature
        )
    return render(request, "letters/unsubscribe.html", {"letter": letter, "done": done})
