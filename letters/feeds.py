"""Atom feeds: each letter's public record, and the letters as they are published."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, format_html

from letters.models import Letter
from letters.templatetags.sharing import absolute
from letters.views import public_letter

NEW_LETTERS_IN_FEED = 20


@dataclass(frozen=True)
class Entry:
    """One event in a letter's public record: a publication, a revision or the closing."""

    title: str
    html: str
    at: datetime
    link: str
    guid: str


def letter_entries(letter):
    """The letter's record as feed entries, newest first."""
    url = absolute(letter.get_absolute_url())
    revisions = list(letter.revisions.order_by("number"))
    entries = []
    for revision in revisions:
        if revision.number == 1:
            title = f"Published: {revision.title}"
        else:
            title = f"Revision {revision.number}: {revision.change_note or revision.title}"
        entries.append(
            Entry(
                title=title,
                # body_html was sanitised when the revision was published; the note is text.
                html=(f"<p>{escape(revision.change_note)}</p>" if revision.change_note else "")
                + revision.body_html,
                at=revision.created_at,
                link=url,
                guid=f"{url}#revision-{revision.number}",
            )
        )
    if letter.public_status == Letter.Status.CLOSED and revisions:
        # A letter published after its closing time closed, in effect, when it was published.
        closed_at = max(letter.closes_at or revisions[-1].created_at, revisions[-1].created_at)
        entries.append(
            Entry(
                title=f"Signing closed: {revisions[-1].title}",
                html=format_html("<p>Signing closed on {}.</p>", format_date(closed_at, "j F Y")),
                at=closed_at,
                link=url,
                guid=f"{url}#closed",
            )
        )
    # Sorting is stable, so reversing afterwards puts the later of two same-instant events first.
    return sorted(entries, key=lambda entry: entry.at)[::-1]


class LetterFeed(Feed):
    """A letter's publication, each later revision with its change note, and its closing."""

    feed_type = Atom1Feed
    author_name = "Undersigned"

    def get_object(self, request, slug):
        return public_letter(slug)

    def title(self, letter):
        return letter.current_revision.title

    def subtitle(self, letter):
        return f"The public record of “{letter.current_revision.title}”: revisions and closing."

    def link(self, letter):
        return absolute(letter.get_absolute_url())

    def feed_url(self, letter):
        return absolute(reverse("letter_feed", args=[letter.slug]))

    def items(self, letter):
        return letter_entries(letter)

    def item_title(self, entry):
        return entry.title

    def item_description(self, entry):
        return entry.html

    def item_link(self, entry):
        return entry.link

    def item_guid(self, entry):
        return entry.guid

    def item_pubdate(self, entry):
        return entry.at

    def item_updateddate(self, entry):
        return entry.at


class NewLettersFeed(Feed):
    """Letters as they are published, newest first."""

    feed_type = Atom1Feed
    title = "New letters · Undersigned"
    subtitle = "Open letters with verified signatories, as they are published."
    author_name = "Undersigned"

    def link(self):
        return absolute(reverse("letters:index"))

    def feed_url(self):
        return absolute(reverse("feed"))

    def items(self):
        return Letter.objects.listed().select_related("current_revision")[:NEW_LETTERS_IN_FEED]

    def item_title(self, letter):
        return letter.current_revision.title

    def item_description(self, letter):
        return format_html("<p>{}</p>", letter.current_revision.summary)

    def item_link(self, letter):
        return absolute(letter.get_absolute_url())

    def item_pubdate(self, letter):
        return letter.published_at

    def item_updateddate(self, letter):
        return letter.published_at
