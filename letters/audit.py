"""The letter's audit log: who did what, newest first. Read-only, for the owner."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from letters.models import AuditEvent
from letters.permissions import organizer_required

PAGE_SIZE = 50


@require_safe
@organizer_required("view_audit")
def audit_log(request, letter, membership):
    # Served by the (letter, -created_at) index; actor_label is kept on the row, so no join.
    events = AuditEvent.objects.filter(letter=letter).order_by("-created_at", "-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "letters/organize/audit_log.html", {"letter": letter, "page": page})
