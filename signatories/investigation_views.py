"""The workspace's Investigate pages, under /organize/<slug>/investigate/.

Owners (power "investigate") search by client address too; editors (power "moderate") search
and hide by email domain, name and time window only.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from letters.permissions import organizer_required, role_may
from signatories.investigation import NetworkTooBroad, SearchForm, start_bulk_hide, summary
from signatories.models import BulkAction
from signatories.organize_forms import ReasonForm

RESULTS_SHOWN = 100


class BulkReasonForm(ReasonForm):
    """The workspace's reason, saying where a bulk hide records it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = gettext_lazy(
            "Recorded with every signature hidden and in the audit log."
        )


def search_form(request, data, membership):
    """The search form this organizer may use; 403 for an address search by a moderator."""
    allow_address = role_may(membership.role, "investigate")
    if not allow_address and data.get("address"):
        # Ignoring the field would widen the search to the whole letter, and a bulk hide with it.
        raise PermissionDenied(_("Only the letter's owners may search by client address."))
    return SearchForm(data or None, allow_address=allow_address)


def too_broad(form):
    form.add_error("address", _("This network is too large to search here; use a narrower one."))


@require_safe
@organizer_required("moderate")
def investigate(request, letter, membership):
    form = search_form(request, request.GET, membership)
    context = {"letter": letter, "form": form, "actions": letter.bulk_actions.all()[:10]}
    if not form.is_bound:
        return render(request, "signatories/investigate/search.html", context)
    if not form.is_valid():
        return render(request, "signatories/investigate/search.html", context, status=400)
    if form.has_filters():
        try:
            signatures = form.search(letter)
            totals, groups = summary(signatures, with_addresses=form.allow_address)
        except NetworkTooBroad:
            too_broad(form)
            return render(request, "signatories/investigate/search.html", context, status=400)
        rows = signatures.select_related("organization").order_by("-signed_at", "-id")
        context |= {
            "totals": totals,
            "groups": groups,
            "rows": rows[:RESULTS_SHOWN],
            "results_shown": RESULTS_SHOWN,
            "query": urlencode(form.as_filters()),
        }
    return render(request, "signatories/investigate/search.html", context)


@require_http_methods(["GET", "POST"])
@organizer_required("moderate")
def bulk_hide(request, letter, membership):
    """GET previews how many signatures a search will hide; POST, with a reason, starts it."""
    posted = request.method == "POST"
    form = search_form(request, request.POST if posted else request.GET, membership)
    reason_form = BulkReasonForm(request.POST if posted else None)
    context = {"letter": letter, "form": form, "reason_form": reason_form}
    if not form.is_valid() or not form.has_filters():
        context["no_search"] = form.is_valid()
        return render(request, "signatories/investigate/bulk_preview.html", context, status=400)
    try:
        targets = form.search(letter).filter(hidden_at__isnull=True)
        context |= {"total": targets.count(), "counted": targets.counted().count()}
    except NetworkTooBroad:
        too_broad(form)
        return render(request, "signatories/investigate/bulk_preview.html", context, status=400)
    context["filters"] = form.as_filters()
    if not posted:
        return render(request, "signatories/investigate/bulk_preview.html", context)
    if not reason_form.is_valid() or not context["total"]:
        return render(request, "signatories/investigate/bulk_preview.html", context, status=400)
    action = start_bulk_hide(
        letter, form=form, reason=reason_form.cleaned_data["reason"], by=request.user
    )
    response = redirect("organize:bulk_action", letter.slug, action.pk)
    response.status_code = 303
    return response


@require_safe
@organizer_required("moderate")
def bulk_action(request, letter, membership, action_id):
    action = get_object_or_404(BulkAction.objects.select_related("by"), pk=action_id, letter=letter)
    return render(
        request, "signatories/investigate/bulk_action.html", {"letter": letter, "action": action}
    )
