"""A letter's public history: its revisions, and what changed between any two of them."""

import difflib
import hashlib

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from config.cache import get_or_set
from config.db_router import read_from_replica
from letters.views import public_letter

# Revision numbers in addresses are bounded, so a huge number is "no such revision" rather
# than an integer the database refuses.
MAX_REVISION_NUMBER = 10**6
DIFF_CACHE_SECONDS = 24 * 3600


def diff_texts(old, new):
    """The lines of two texts as ("equal" | "removed" | "added", line) pairs, old order first.

    Compared line by line: a letter is a page, and a line-level diff is what a reader can
    follow. difflib's autojunk stays on: without it, two of the longest texts the editor
    accepts made of short repeated lines take seconds to compare.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    lines = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [("equal", line) for line in old_lines[i1:i2]]
            continue
        lines += [("removed", line) for line in old_lines[i1:i2]]
        lines += [("added", line) for line in new_lines[j1:j2]]
    return lines


def cached_diff(old, new):
    """diff_texts, kept in the cache: a long comparison is made once, not for every reader.

    Keyed by the texts themselves, so a key can never name a different pair of texts.
    """
    digest = hashlib.sha256(f"{len(old)}:{old}{new}".encode()).hexdigest()
    return get_or_set(f"revision-diff:{digest}", lambda: diff_texts(old, new), DIFF_CACHE_SECONDS)


@require_safe
@read_from_replica
def history(request, slug):
    letter = public_letter(slug)
    revisions = letter.revisions.defer("body", "body_html").order_by("-number")
    return render(request, "letters/history.html", {"letter": letter, "revisions": revisions})


def revision_number(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_REVISION_NUMBER else None


@require_safe
def compare(request, slug):
    """The history page's form: ?from=&to= leads to the diff's own address."""
    letter = public_letter(slug)
    old, new = revision_number(request.GET.get("from")), revision_number(request.GET.get("to"))
    if old is None or new is None:
        return HttpResponseBadRequest(
            "Choose two revisions by number, as in ?from=1&to=2.", content_type="text/plain"
        )
    return redirect("letters:diff", letter.slug, old, new)


@require_safe
@read_from_replica
def diff(request, slug, old, new):
    letter = public_letter(slug)
    if max(old, new) > MAX_REVISION_NUMBER:
        raise Http404("No such revision.")
    revisions = {r.number: r for r in letter.revisions.filter(number__in=[old, new])}
    if old not in revisions or new not in revisions:
        raise Http404("No such revision.")
    before, after = revisions[old], revisions[new]
    context = {
        "letter": letter,
        "before": before,
        "after": after,
        "lines": cached_diff(before.full_text(), after.full_text()),
        "all_revisions": letter.revisions.values_list("number", flat=True).order_by("number"),
    }
    return render(request, "letters/diff.html", context)
