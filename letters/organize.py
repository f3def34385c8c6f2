"""The organizer's workspace: their letters, and the pages every letter's workspace shares."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from letters.charts import bar_chart, daily_series, hourly_series
from letters.models import AuditEvent, Organizer
from letters.permissions import organizer_required, role_may
from signatories.models import Signature

TOP_ORGANIZATIONS = 10
RECENT = 10


def refuse(request, letter, message, back):
    """A workspace form that came back unusable: say why, change nothing, answer 400."""
    context = {"letter": letter, "message": message, "back": back}
    return render(request, "letters/organize/refused.html", context, status=400)


@require_safe
@login_required
def my_letters(request):
    memberships = (
        Organizer.objects.filter(user=request.user)
        .select_related("letter")
        .order_by("letter__status", "-letter__created_at")
    )
    return render(request, "letters/organize/my_letters.html", {"memberships": memberships})


@require_safe
@organizer_required("view_dashboard")
def dashboard(request, letter, membership):
    counts = Signature.objects.counts_for(letter)
    queue_size = Signature.objects.filter(letter=letter).in_review_queue().count()
    top_organizations = (
        Signature.objects.counted()
        .filter(letter=letter, organization__isnull=False)
        .values_list("organization__name")
        .annotate(n=Count("id"))
        .order_by("-n", "organization__name")[:TOP_ORGANIZATIONS]
    )
    recent_signatures = (
        Signature.objects.filter(letter=letter, confirmed_at__isnull=False)
        .select_related("organization")
        .order_by("-confirmed_at", "-id")[:RECENT]
    )
    # The audit log is the owner's to read (view_audit); other roles see their own actions.
    recent_events = AuditEvent.objects.filter(letter=letter)
    if not role_may(membership.role, "view_audit"):
        recent_events = recent_events.filter(actor=request.user)
    context = {
        "letter": letter,
        "counts": counts,
        "queue_size": queue_size,
        "hourly": bar_chart(hourly_series(letter)),
        "daily": bar_chart(daily_series(letter)),
        "top_organizations": list(top_organizations),
        "recent_events": recent_events[:RECENT],
        "recent_signatures": recent_signatures,
    }
    return render(request, "letters/organize/dashboard.html", context)


@require_POST
@organizer_required("view_dashboard")
def daily_digest(request, letter, membership):
    """Turn this organizer's own daily digest email on or off (never anyone else's)."""
    wanted = request.POST.get("daily_digest")
    if wanted not in ("on", "off"):
        back = reverse("organize:dashboard", args=[letter.slug])
        return refuse(request, letter, _("Choose whether to receive the daily digest."), back)
    subscribe = wanted == "on"
    if membership.daily_digest != subscribe:
        Organizer.objects.filter(pk=membership.pk).update(daily_digest=subscribe)
        action = "digest.subscribed" if subscribe else "digest.unsubscribed"
        AuditEvent.record(letter=letter, actor=request.user, action=action, target=membership)
    if subscribe:
        messages.success(request, _("You will receive a daily digest of this letter by email."))
    else:
        messages.success(request, _("You will no longer receive the daily digest."))
    return redirect("organize:dashboard", letter.slug)
