"""The review queue in the organizer workspace: held, flagged and manual-verification
signatures of one letter, decided with a reason that the audit log keeps."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from letters.models import AuditEvent
from letters.organize import refuse
from letters.permissions import organizer_required
from signatories.models import Signature
from signatories.organize_forms import DecisionForm, NotableForm, ReasonForm

QUEUE_PAGE_SIZE = 50


def signature_of(letter, signature_id):
    """The letter's own signature: an id from another letter is a 404, never an action."""
    return get_object_or_404(
        Signature.objects.select_related("organization"), letter=letter, pk=signature_id
    )


def back_to(request, letter, default):
    """Where the form came from, if it is a page of this letter's workspace."""
    prefix = reverse("organize:dashboard", args=[letter.slug])
    wanted = request.POST.get("next", "")
    # Only a plain path inside the workspace: no scheme, host, "..", or backslash tricks.
    plain = not any(part in wanted for part in ("//", "..", "\\", ":"))
    return wanted if plain and wanted.startswith(prefix) else default


@require_safe
@organizer_required("review")
def review_queue(request, letter, membership):
    queue = (
        Signature.objects.filter(letter=letter)
        .in_review_queue()
        .select_related("organization")
        .order_by("confirmed_at", "id")
    )
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"letter": letter, "page": page, "reason_form": ReasonForm()}
    return render(request, "signatories/organize/review_queue.html", context)


def act_on_signature(request, letter, signature_id, apply, *, missing, back=None, form=ReasonForm):
    """The shape every workspace action on one signature shares.

    Finds the letter's own signature (404 for any other) and validates the form (400 with
    `missing`, nothing changed, if it is unusable). Then `apply(signature, data)` acts,
    records the audit event and returns (message level, message), or a response. The
    organizer goes back to `back`, by default the review queue.
    """
    signature = signature_of(letter, signature_id)
    back = back_to(request, letter, back or reverse("organize:review_queue", args=[letter.slug]))
    form = form(request.POST)
    if not form.is_valid():
        return refuse(request, letter, missing, back)
    # The change and its audit event commit together: no hidden or decided row without a record.
    with transaction.atomic():
        outcome = apply(signature, form.cleaned_data)
    if isinstance(outcome, HttpResponse):
        return outcome
    level, message = outcome
    messages.add_message(request, level, message % {"name": signature.name})
    return redirect(back)


def record(request, letter, action, signature, **detail):
    AuditEvent.record(letter=letter, actor=request.user, action=action, target=signature, **detail)


@require_POST
@organizer_required("review")
def decide(request, letter, membership, signature_id):
    """Approve (published, verified by an organizer) or reject (kept unpublished)."""

    def apply(signature, data):
        # Locked until the decision commits: a second reviewer deciding at the same moment
        # waits, then finds it decided, instead of overwriting the first decision.
        still_queued = (
            Signature.objects.in_review_queue().select_for_update().filter(pk=signature.pk)
        )
        if still_queued.values_list("pk", flat=True).first() is None:
            return messages.INFO, _("%(name)s was already decided.")
        approve = data["decision"] == "approve"
        signature.decide(approve=approve, by=request.user, reason=data["reason"])
        action = "signature.approved" if approve else "signature.rejected"
        record(request, letter, action, signature, reason=data["reason"])
        return messages.SUCCESS, _("Approved %(name)s.") if approve else _("Rejected %(name)s.")

    missing = _("Give a reason for your decision.")
    return act_on_signature(
        request, letter, signature_id, apply, missing=missing, form=DecisionForm
    )


@require_POST
@organizer_required("review")
def flag(request, letter, membership, signature_id):
    """Send a published signature back to the queue, unlisted until someone decides."""
    queue_url = reverse("organize:review_queue", args=[letter.slug])

    def apply(signature, data):
        if signature.withdrawn_at is not None or signature.is_pending:
            return refuse(
                request, letter, _("Only confirmed signatures can be flagged."), queue_url
            )
        signature.flag(by=request.user, reason=data["reason"])
        record(request, letter, "signature.flagged", signature, reason=data["reason"])
        return messages.SUCCESS, _("Flagged %(name)s for review.")

    missing = _("Give a reason for flagging this signature.")
    return act_on_signature(request, letter, signature_id, apply, missing=missing)


@require_POST
@organizer_required("review")
def notable(request, letter, membership, signature_id):
    """Mark a signatory notable (listed first; look-alike names are held), or unmark."""

    def apply(signature, data):
        wanted = data["notable"] == "on"
        if signature.notable != wanted:
            Signature.objects.filter(pk=signature.pk).set_notable(wanted)
            action = "signature.notable_marked" if wanted else "signature.notable_unmarked"
            record(request, letter, action, signature)
        if wanted:
            return messages.SUCCESS, _("%(name)s is marked notable.")
        return messages.SUCCESS, _("%(name)s is no longer notable.")

    missing = _("Choose whether the signatory is notable.")
    return act_on_signature(request, letter, signature_id, apply, missing=missing, form=NotableForm)
