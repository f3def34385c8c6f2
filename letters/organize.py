"""The organizer's workspace: their letters, and the pages every letter's workspace shares."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from letters.models import Organizer
from letters.permissions import organizer_required
from signatories.models import Signature


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
    return render(
        request,
        "letters/organize/dashboard.html",
        {"letter": letter, "counts": counts, "queue_size": queue_size},
    )
