"""A letter's public history: its revisions, and what changed between any two of them."""

import difflib

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from config.db_router import read_from_replica
from letters.views import public_letter

# Revision numbers in addresses are bounded, so a huge number is "no such revision" rather
# than an integer the database refuses.
MAX_REVISION_NUMBER = 10**6


def diff_texts(old, new):
    """The lines of two texts as ("equal" | "removed" | "added", line) pairs, old order first.

    Compared line by line: a letter is a page, and a line-level diff is what a reader can
    follow; it also stays fast on the longest text the editor accepts.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    lines = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [("equal", line) for line in old_lines[i1:i2]]
            continue
        lines += [("removed", line) for line in old_lines[i1:i2]]
        lines += [("added", line) for line in new_lines[j1:j2]]
    return lines


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
        "lines": diff_texts(before.full_text(), after.full_text()),
        "all_revisions": letter.revisions.values_list("number", flat=True).order_by("number"),
    }
    return render(request, "letters/diff.html", context)
