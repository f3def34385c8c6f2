import pytest
from django.db import IntegrityError
from django.utils import timezone

from letters.markdown import render_markdown
from letters.models import Letter, Revision
from tests.builders import make_letter

pytestmark = pytest.mark.django_db


def test_publish_freezes_revision_one():
    letter = make_letter(publish=False, body="First *text*.")

    revision = letter.publish()

    letter.refresh_from_db()
    assert (letter.status, letter.current_revision, revision.number) == ("published", revision, 1)
    assert revision.body == "First *text*."
    assert revision.body_html == "<p>First <em>text</em>.</p>\n"
    assert letter.published_at is not None


def test_publishing_again_keeps_every_revision():
    letter = make_letter(body="One.")
    letter.body = "Two."

    letter.publish(change_note="Fixed a typo")

    assert list(letter.revisions.values_list("number", "body", "change_note")) == [
        (1, "One.", "First publication"),
        (2, "Two.", "Fixed a typo"),
    ]
    assert Letter.objects.get(pk=letter.pk).current_revision.number == 2


def test_database_refuses_a_published_letter_without_revision():
    with pytest.raises(IntegrityError):
        Letter.objects.create(title="T", slug="t", body="b", status="published")


def test_database_refuses_duplicate_revision_numbers():
    letter = make_letter()
    with pytest.raises(IntegrityError):
        Revision.objects.create(letter=letter, number=1, title="x", body="x", body_html="x")


def test_letter_accepts_signatures_only_while_published_and_before_closing():
    letter = make_letter()
    assert letter.accepts_signatures()
    letter.closes_at = timezone.now() - timezone.timedelta(seconds=1)
    assert not letter.accepts_signatures()
    assert letter.public_status == "closed"
    draft = make_letter(publish=False)
    assert not draft.accepts_signatures()


def test_close_stops_signing_now():
    letter = make_letter()

    letter.close()

    letter.refresh_from_db()
    assert letter.status == "closed"
    assert letter.closes_at <= timezone.now()


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ('<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=“alert(1)”&gt;</p>\n"),
        ("# Title", "<h2>Title</h2>\n"),
        (
            "[ok](https://example.org)",
            '<p><a href="https://example.org" rel="noopener noreferrer nofollow">ok</a></p>\n',
        ),
    ],
)
def test_markdown_is_rendered_and_sanitised(markdown, html):
    assert render_markdown(markdown) == html
