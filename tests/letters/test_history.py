"""A letter's public history: revisions, diffs between any two, and what each signer signed."""

import pytest
from django.core.cache import cache

from tests.builders import make_letter, make_revision, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def revised(letter):
    make_revision(
        letter, "We call for **evidence**.\n\n1. Published methods\n2. Open data\n", "Open data."
    )
    make_revision(letter, "We call for **evidence**.\n\n1. Open data\n", "Shorter list.")
    return letter


def test_history_lists_every_revision_with_its_date_and_note(client, revised):
    response = client.get("/letters/ai-risk/history/")

    assert response.status_code == 200
    text = response.text
    assert text.index("Revision 3") < text.index("Revision 2") < text.index("Revision 1")
    assert "Shorter list." in text
    assert "Open data." in text
    assert "First publication" in text
    assert 'href="/letters/ai-risk/history/2..3/"' in text


def test_the_letter_page_links_to_its_history_once_revised(client, letter):
    assert "see history" not in client.get("/letters/ai-risk/").text

    make_revision(letter, "Another text", "Rewritten.")
    # Anonymous readers share a copy of the page for PAGE_CACHE_SECONDS; the new revision shows
    # when it expires.
    cache.clear()

    response = client.get("/letters/ai-risk/")
    assert 'href="/letters/ai-risk/history/"' in response.text
    assert "Revised 1 time — see history" in response.text


def test_diff_marks_removed_and_added_lines_in_words(client, revised):
    response = client.get("/letters/ai-risk/history/1..2/")

    assert response.status_code == 200
    assert (
        '<del class="diff__line diff__line--removed"><span class="visually-hidden">Removed: '
        "</span>2. Independent replication</del>"
    ) in response.text
    assert (
        '<ins class="diff__line diff__line--added"><span class="visually-hidden">Added: '
        "</span>2. Open data</ins>"
    ) in response.text
    assert '<span class="diff__line">1. Published methods</span>' in response.text


def test_diff_between_any_two_revisions_either_way(client, revised):
    forward = client.get("/letters/ai-risk/history/1..3/")
    backward = client.get("/letters/ai-risk/history/3..1/")

    assert "Removed: </span>1. Published methods" in forward.text
    assert "Added: </span>1. Published methods" in backward.text


def test_diff_escapes_markup_in_the_text(client, letter):
    make_revision(letter, "<script>alert(1)</script>", "Hostile.")

    response = client.get("/letters/ai-risk/history/1..2/")

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/letters/ai-risk/history/1..9/",
        "/letters/ai-risk/history/0..1/",
        "/letters/ai-risk/history/1..99999999999999999999999/",
        "/letters/ai-risk/history/-1..2/",
        "/letters/ai-risk/history/a..b/",
        "/letters/ai-risk/history/1...2/",
        "/letters/nothing/history/1..2/",
        "/letters/nothing/history/",
    ],
)
def test_bad_revision_numbers_are_not_found(client, revised, path):
    assert client.get(path).status_code == 404


def test_a_draft_has_no_public_history(client):
    make_letter(slug="secret", publish=False)

    assert client.get("/letters/secret/history/").status_code == 404


def test_compare_form_leads_to_the_diff(client, revised):
    response = client.get("/letters/ai-risk/history/compare/?from=1&to=3")

    assert response.status_code == 302
    assert response["Location"] == "/letters/ai-risk/history/1..3/"


@pytest.mark.parametrize(
    "query", ["", "?from=1", "?from=x&to=2", "?from=1&to=99999999999999999999", "?from=%00&to=1"]
)
def test_compare_with_bad_numbers_is_a_clear_400(client, revised, query):
    response = client.get(f"/letters/ai-risk/history/compare/{query}")

    assert response.status_code == 400
    assert "Choose two revisions by number" in response.text


def test_signatory_list_says_which_revision_each_signer_signed(client, letter):
    make_signature(letter, name="Early Signer")
    make_revision(letter, "Another text", "Rewritten.")
    make_signature(letter, name="Late Signer")

    text = client.get("/letters/ai-risk/signatories/").text

    assert text.count("signed revision 1") == 1
    assert text.count("signed revision 2") == 1
    assert text.index("Late Signer") < text.index("signed revision 2") < text.index("Early Signer")


def test_signatory_list_of_an_unrevised_letter_does_not_mention_revisions(client, letter):
    make_signature(letter)

    assert "signed revision" not in client.get("/letters/ai-risk/signatories/").text


@pytest.mark.parametrize("rows", [1, 30])
def test_signatory_list_of_a_revised_letter_queries_stay_flat(
    client, letter, django_assert_num_queries, rows
):
    make_revision(letter, "Another text", "Rewritten.")
    for _ in range(rows):
        make_signature(letter)

    # Letter, page rows, revision numbers, counts.
    with django_assert_num_queries(4):
        client.get("/letters/ai-risk/signatories/")


@pytest.mark.parametrize("rows", [1, 30])
def test_history_queries_stay_flat(client, letter, django_assert_num_queries, rows):
    for n in range(rows - 1):
        make_revision(letter, f"Text number {n}", f"Change {n}.")

    # Letter, revisions.
    with django_assert_num_queries(2):
        response = client.get("/letters/ai-risk/history/")
    assert response.text.count('<li class="revision">') == rows


def test_a_number_beyond_the_columns_range_is_not_found(client, revised):
    # PostgreSQL refuses an integer beyond its column's range; the view must not ask it.
    assert client.get("/letters/ai-risk/history/1..2147483648/").status_code == 404
