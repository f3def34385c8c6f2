"""Signatures over time, counted in SQL and drawn as a bar chart the server renders as SVG."""

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from signatories.models import Signature

CHART_WIDTH = 600
CHART_HEIGHT = 160
# Room under the bars for the first and last labels.
LABEL_HEIGHT = 20


def signatures_per(letter, trunc, since=None):
    """{period start: n} for the letter's counted signatures, in one query.

    Grouped on confirmed_at, which the (letter, -confirmed_at) index serves.
    """
    signatures = Signature.objects.counted().filter(letter=letter, confirmed_at__isnull=False)
    if since is not None:
        signatures = signatures.filter(confirmed_at__gte=since)
    rows = (
        signatures.annotate(period=trunc("confirmed_at"))
        .values_list("period")
        .annotate(n=Count("id"))
        .order_by("period")
    )
    return dict(rows)


def filled(counts, first, step, periods):
    """[(period start, n)] for `periods` periods from `first`, zero where nobody signed."""
    starts = [first + step * i for i in range(periods)]
    return [(start, counts.get(start, 0)) for start in starts]


def hourly_series(letter, *, hours=48, now=None):
    """The last `hours` hours, oldest first, with the empty hours filled in."""
    now = timezone.localtime(now)
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    counts = signatures_per(letter, TruncHour, since=first)
    return [
        (first + timedelta(hours=i), counts.get(first + timedelta(hours=i), 0))
        for i in range(hours)
    ]


def daily_series(letter, *, now=None):
    """Every day from the first counted signature (or today) to today, oldest first."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = signatures_per(letter, TruncDay)
    first = min(counts, default=today)
    days = (today - first).days + 1
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def bar_chart(series):
    """Geometry for the SVG template: one bar per point, scaled to the tallest."""
    tallest = max((n for _, n in series), default=0) or 1
    slot = CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, (start, n) in enumerate(series):
        height = round(n / tallest * CHART_HEIGHT, 1)
        bars.append(
            {
                "start": start,
                "n": n,
                "x": round(index * slot, 2),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(max(slot - 1, 0.5), 2),
                "height": height,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT + LABEL_HEIGHT,
        "baseline": CHART_HEIGHT,
        "label_y": CHART_HEIGHT + LABEL_HEIGHT - 4,
        "tallest": max((n for _, n in series), default=0),
        "total": sum(n for _, n in series),
        "first": series[0][0] if series else None,
        "last": series[-1][0] if series else None,
    }
