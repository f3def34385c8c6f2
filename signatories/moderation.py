"""Moderation in the organizer workspace: find any signature of the letter, hide or restore
it one at a time with a reason. Hiding moves the counts (Signature.hide)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from letters.permissions import EDITOR, OWNER, organizer_required
from signatories.models import COUNTED_LEVELS, UNPUBLISHED_REVIEWS, Level, Signature
from signatories.organize_forms import ReasonForm
from signatories.review import act_on_signature, record

PAGE_SIZE = 50
# Roles that see signers' email addresses in the workspace. Never shown publicly.
SEES_EMAILS = {OWNER, EDITOR}

STATES = {
    "counted": Q(withdrawn_at__isnull=True, hidden_at__isnull=True, level__in=COUNTED_LEVELS)
    & ~Q(review__in=UNPUBLISHED_REVIEWS),
    "pending": Q(level=Level.PENDING, withdrawn_at__isnull=True),
    "held": Q(review__in=UNPUBLISHED_REVIEWS, withdrawn_at__isnull=True),
    "hidden": Q(hidden_at__isnull=False),
    "withdrawn": Q(withdrawn_at__isnull=False),
}


class SignatureFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), max_length=200, required=False)
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        choices=[("", gettext_lazy("Any"))] + Level.choices,
        required=False,
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("counted", gettext_lazy("Counted")),
            ("pending", gettext_lazy("Pending confirmation")),
            ("held", gettext_lazy("Held back by review")),
            ("hidden", gettext_lazy("Hidden")),
            ("withdrawn", gettext_lazy("Withdrawn")),
        ],
    )

    def filter(self, signatures, *, with_emails):
        data = self.cleaned_data
        query = data["q"].strip()
        if query:
            match = Q(name__icontains=query) | Q(affiliation__icontains=query)
            if with_emails:
                match |= Q(email__icontains=query)
            signatures = signatures.filter(match)
        if data["level"]:
            signatures = signatures.filter(level=data["level"])
        if data["state"]:
            signatures = signatures.filter(STATES[data["state"]])
        return signatures


@require_safe
@organizer_required("moderate")
def signature_list(request, letter, membership):
    form = SignatureFilterForm(request.GET)
    with_emails = membership.role in SEES_EMAILS
    signatures = Signature.objects.filter(letter=letter).select_related("organization")
    valid = form.is_valid()
    signatures = form.filter(signatures, with_emails=with_emails) if valid else signatures.none()
    page = Paginator(signatures.order_by("-signed_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "letter": letter,
        "form": form,
        "page": page,
        "with_emails": with_emails,
        "query": filters.urlencode() + "&" if filters else "",
        "reason_form": ReasonForm(),
    }
    status = 200 if valid else 400
    return render(request, "signatories/organize/signatures.html", context, status=status)


@require_POST
@organizer_required("moderate")
def hide(request, letter, membership, signature_id):
    """Take one signature out of lists and counts, with the reason recorded."""

    def apply(signature, data):
        if not signature.hide(by=request.user, reason=data["reason"]):
            return messages.INFO, _("%(name)s was already hidden.")
        record(request, letter, "signature.hidden", signature, reason=data["reason"])
        return messages.SUCCESS, _("%(name)s is hidden.")

    missing = _("Give a reason for hiding this signature.")
    return act_on_signature(
        request, letter, signature_id, apply, back=signatures_url(letter), missing=missing
    )


@require_POST
@organizer_required("moderate")
def restore(request, letter, membership, signature_id):
    """Undo a hide; the reason goes to the audit log (the row keeps no restore reason)."""

    def apply(signature, data):
        if not signature.restore(by=request.user):
            return messages.INFO, _("%(name)s was not hidden.")
        record(request, letter, "signature.restored", signature, reason=data["reason"])
        return messages.SUCCESS, _("%(name)s is restored.")

    missing = _("Give a reason for restoring this signature.")
    return act_on_signature(
        request, letter, signature_id, apply, back=signatures_url(letter), missing=missing
    )


def signatures_url(letter):
    return reverse("organize:signatures", args=[letter.slug])
