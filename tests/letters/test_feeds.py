from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from pytest_django.asserts import assertContains

from letters.feeds import NEW_LETTERS_IN_FEED
from letters.models import Revision
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITE = "https://letters.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def parse(response):
    # Our own feed, parsed to read it as a feed reader would.
    return ElementTree.fromstring(response.content)  # noqa: S314


def entries(feed):
    """(title, link, id, updated) of each entry, in the feed's order."""
    return [
        (
            entry.findtext("a:title", namespaces=ATOM),
            entry.find("a:link", ATOM).get("href"),
            entry.findtext("a:id", namespaces=ATOM),
            entry.findtext("a:updated", namespaces=ATOM),
        )
        for entry in feed.findall("a:entry", ATOM)
    ]


def at(day):
    return datetime(2026, 3, day, 9, 30, tzinfo=UTC)


def stamp(day):
    """at(day) as the feed writes it."""
    return f"2026-03-{day:02}T09:30:00+00:00"


def revise(letter, *, body, change_note, day):
    letter.body = body
    revision = letter.publish(change_note=change_note)
    Revision.objects.filter(pk=revision.pk).update(created_at=at(day))
    return revision


def test_letter_feed_holds_publication_revisions_and_closing_newest_first(client, letter):
    Revision.objects.filter(letter=letter, number=1).update(created_at=at(1))
    revise(letter, body="Clearer text.", change_note="Clarified the second demand", day=5)
    letter.close()
    letter.closes_at = at(9)
    letter.save()
    page = f"{SITE}/letters/ai-risk/"

    response = client.get("/letters/ai-risk/feed/")

    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parse(response)
    assert feed.findtext("a:title", namespaces=ATOM) == "Assess AI risk with science"
    assert feed.find("a:link[@rel='self']", ATOM).get("href") == f"{SITE}/letters/ai-risk/feed/"
    assert entries(feed) == [
        ("Signing closed: Assess AI risk with science", page, f"{page}#closed", stamp(9)),
        ("Revision 2: Clarified the second demand", page, f"{page}#revision-2", stamp(5)),
        ("Published: Assess AI risk with science", page, f"{page}#revision-1", stamp(1)),
    ]


def test_revision_entry_carries_its_change_note_and_text(client, letter):
    Revision.objects.filter(letter=letter, number=1).update(created_at=at(1))
    revise(letter, body="We call for *replication* & review.", change_note="Added <review>", day=5)

    feed = parse(client.get("/letters/ai-risk/feed/"))

    summaries = [e.findtext("a:summary", namespaces=ATOM) for e in feed.findall("a:entry", ATOM)]
    assert summaries[0] == (
        "<p>Added &lt;review&gt;</p><p>We call for <em>replication</em> &amp; review.</p>\n"
    )


def test_open_letter_feed_has_no_closing_entry(client, letter):
    feed = parse(client.get("/letters/ai-risk/feed/"))

    assert [title for title, *_ in entries(feed)] == ["Published: Assess AI risk with science"]


def test_feeds_never_show_an_email_address(client):
    organizer = get_user_model().objects.create_user(
        "organizer", email="organizer@example.org", password="x"
    )
    letter = make_letter(slug="ai-risk", created_by=organizer)
    make_signature(letter, email="signer@example.org")

    for path in ["/letters/ai-risk/feed/", "/feed/"]:
        response = client.get(path)

        assert response.status_code == 200
        assert "@" not in response.text


@pytest.mark.parametrize("path", ["/letters/draft/feed/", "/letters/nope/feed/"])
def test_feed_of_draft_or_unknown_letter_is_404(client, path):
    make_letter(slug="draft", publish=False)

    response = client.get(path)

    assert response.status_code == 404


def test_new_letters_feed_lists_public_letters_newest_first(client):
    for day, slug in [(1, "first"), (3, "third"), (2, "second")]:
        letter = make_letter(title=f"The {slug} letter", slug=slug)
        letter.published_at = at(day)
        letter.save()
    make_letter(title="Secret draft", slug="draft", publish=False)

    feed = parse(client.get("/feed/"))

    assert feed.find("a:link[@rel='self']", ATOM).get("href") == f"{SITE}/feed/"
    page = f"{SITE}/letters/"
    assert entries(feed) == [
        ("The third letter", f"{page}third/", f"{page}third/", stamp(3)),
        ("The second letter", f"{page}second/", f"{page}second/", stamp(2)),
        ("The first letter", f"{page}first/", f"{page}first/", stamp(1)),
    ]


@pytest.mark.parametrize("rows", [1, 30])
def test_letter_feed_queries_do_not_grow_with_revisions(
    client, letter, django_assert_num_queries, rows
):
    for n in range(rows - 1):
        letter.body = f"Text {n}"
        letter.publish(change_note=f"Change {n}")

    # The letter with its current revision, then its revisions.
    with django_assert_num_queries(2):
        response = client.get("/letters/ai-risk/feed/")

    assert len(parse(response).findall("a:entry", ATOM)) == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_new_letters_feed_queries_do_not_grow(client, django_assert_num_queries, rows):
    for n in range(rows):
        make_letter(slug=f"l{n}")

    with django_assert_num_queries(1):
        response = client.get("/feed/")

    assert len(parse(response).findall("a:entry", ATOM)) == min(rows, NEW_LETTERS_IN_FEED)


def test_pages_link_their_feeds_in_the_head(client, letter):
    site_feed = (
        '<link rel="alternate" type="application/atom+xml" title="New letters · Undersigned"'
        ' href="/feed/">'
    )
    letter_feed = (
        '<link rel="alternate" type="application/atom+xml" title="Updates to this letter"'
        ' href="/letters/ai-risk/feed/">'
    )

    assertContains(client.get("/"), site_feed, html=True)
    page = client.get("/letters/ai-risk/")
    assertContains(page, site_feed, html=True)
    assertContains(page, letter_feed, html=True)
