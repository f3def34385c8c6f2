"""The organizers' daily digest: yesterday's numbers for a letter, emailed to each organizer
who turned it on (Organizer.daily_digest). `manage.py send_digests` runs it once a day."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.tasks import task
from django.utils import timezone

from config.tasks import EMAIL_QUEUE
from letters import emails
from letters.models import AuditEvent, Organizer
from signatories.models import COUNTED_LEVELS, Signature

SENT = "digest.sent"


def day_bounds(day):
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def digest_numbers(letter, day):
    """What happened to the letter's signatures on `day`, and where it stands now."""
    start, end = day_bounds(day)
    signatures = Signature.objects.filter(letter=letter)
    confirmed = dict(
        signatures.counted()
        .filter(confirmed_at__gte=start, confirmed_at__lt=end)
        .values_list("level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "day": day,
        "signed": signatures.filter(signed_at__gte=start, signed_at__lt=end).count(),
        "confirmed": sum(confirmed.values()),
        "confirmed_by_level": {level.label: confirmed.get(level, 0) for level in COUNTED_LEVELS},
        "hidden": signatures.filter(hidden_at__gte=start, hidden_at__lt=end).count(),
        "total": Signature.objects.counts_for(letter)["total"],
        "queue_size": signatures.in_review_queue().count(),
    }


def already_sent(organizer, day):
    return AuditEvent.objects.filter(
        action=SENT,
        target_type="organizer",
        target_id=str(organizer.pk),
        detail__day=day.isoformat(),
    ).exists()


@task(queue_name=EMAIL_QUEUE)
def send_daily_digest(organizer_id, day):
    """Email one organizer the digest of `day` (YYYY-MM-DD), at most once per day.

    Safe to run twice: the sent digest is recorded, and the row lock makes a second run wait
    for the first to record it, then find it and send nothing.
    """
    day = datetime.fromisoformat(day).date()
    # Two runs of the command (a timer firing twice, a manual rerun) must not both send.
    with transaction.atomic():
        organizer = (
            Organizer.objects.select_for_update(of=("self",))
            .select_related("letter", "user")
            .filter(pk=organizer_id, daily_digest=True)
            .first()
        )
        if organizer is None or not organizer.user.email or already_sent(organizer, day):
            return False
        emails.send_daily_digest(organizer, digest_numbers(organizer.letter, day))
        # Not attached to the letter: the letter's audit log is about the letter, and this
        # mail is about one organizer's inbox.
        AuditEvent.record(
            letter=None, actor="system", action=SENT, target=organizer, day=day.isoformat()
        )
    return True


def send_digests(day):
    """Queue the digest of `day` for every organizer who wants one; returns how many."""
    organizer_ids = list(
        Organizer.objects.filter(daily_digest=True, user__is_active=True).values_list(
            "pk", flat=True
        )
    )
    for organizer_id in organizer_ids:
        send_daily_digest.enqueue(organizer_id, day.isoformat())
    return len(organizer_ids)
