import pytest
from django.utils import timezone

from signatories.models import Level
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db


def test_index_lists_public_letters_with_their_counts(client):
    open_letter = make_letter(title="Open letter", slug="open")
    make_letter(title="Closed letter", slug="closed").close()
    make_letter(title="Secret draft", slug="draft", publish=False)
    make_signature(open_letter)
    make_signature(open_letter, level=Level.PENDING)

    response = client.get("/")

    assert response.status_code == 200
    assert "Open letter" in response.text
    assert "Closed letter" in response.text
    assert "Secret draft" not in response.text
    assert "<strong>1</strong> confirmed signature" in response.text
    assert "Signing closed" in response.text


@pytest.mark.parametrize("rows", [1, 30])
def test_index_queries_do_not_grow_with_letters(client, django_assert_num_queries, rows):
    for n in range(rows):
        make_signature(make_letter(slug=f"l{n}"))

    with django_assert_num_queries(2):
        client.get("/")


def test_letter_page_shows_text_counts_recent_signatories_and_form(client, letter):
    make_signature(letter, name="Grace Hopper", affiliation="Navy", level=Level.DOMAIN)
    make_signature(letter, name="Hidden Person", public=False)
    make_signature(letter, name="Not Yet", level=Level.PENDING)

    response = client.get("/letters/ai-risk/")

    assert response.status_code == 200
    assert "<strong>evidence</strong>" in response.text
    assert '<strong data-count="total">2</strong>' in response.text
    assert '<dd data-count="domain">1</dd>' in response.text
    assert '<dd data-count="confirmed">1</dd>' in response.text
    assert "Grace Hopper" in response.text
    assert "Hidden Person" not in response.text
    assert "Not Yet" not in response.text
    assert 'action="/letters/ai-risk/sign/"' in response.text


@pytest.mark.parametrize("rows", [1, 30])
def test_letter_page_queries_do_not_grow_with_signatures(
    client, letter, django_assert_num_queries, rows
):
    for _ in range(rows):
        make_signature(letter)

    # The letter with its revision, the counts, the recent signatories.
    with django_assert_num_queries(3):
        client.get("/letters/ai-risk/")


def test_closed_letter_page_has_no_form(client):
    make_letter(slug="done", closes_at=timezone.now() - timezone.timedelta(days=1))

    response = client.get("/letters/done/")

    assert "Signing has closed" in response.text
    assert '<form method="post"' not in response.text


@pytest.mark.parametrize(
    "path", ["/letters/nope/", "/letters/nope/signatories/", "/api/v1/letters/nope/"]
)
def test_unknown_letter_is_404_in_the_site_style(client, path):
    response = client.get(path)

    assert response.status_code == 404


def test_404_page_uses_site_style(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Undersigned" in response.text


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert (response.status_code, response.text) == (200, "ok")


def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")

    assert (response.status_code, response.text) == (200, "ok")


def test_pages_answer_head(client, letter):
    assert client.head("/letters/ai-risk/").status_code == 200


def test_500_page_uses_site_style(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.failing_urls"
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert '<a class="brand" href="/">Undersigned</a>' in response.text
