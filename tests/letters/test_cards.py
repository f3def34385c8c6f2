from io import BytesIO

import pytest
from django.core.cache import cache
from PIL import Image
from pytest_django.asserts import assertContains

from letters.cards import TITLE_SIZE, card_cache_key, font, wrap
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    # Letter ids repeat across tests on some databases; a card left over would be served.
    cache.clear()
    yield
    cache.clear()


def decode(response):
    image = Image.open(BytesIO(response.content))
    return image.format, image.size


def test_card_is_a_1200_by_630_png(client, letter):
    make_signature(letter)

    response = client.get("/letters/ai-risk/card.png")

    assert response["Content-Type"] == "image/png"
    assert decode(response) == ("PNG", (1200, 630))
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=3600"


def test_card_with_an_unchanged_count_is_not_rendered_again(client, letter):
    make_signature(letter)
    first = client.get("/letters/ai-risk/card.png")
    key = card_cache_key(letter, 1)
    assert cache.get(key) == first.content
    # Whatever the cache holds under the key is what is served: nothing is drawn again.
    cache.set(key, b"the cached card")

    second = client.get("/letters/ai-risk/card.png")

    assert second.content == b"the cached card"


def test_card_is_drawn_again_when_the_count_moves(client, letter):
    first = client.get("/letters/ai-risk/card.png")
    make_signature(letter)

    second = client.get("/letters/ai-risk/card.png")

    assert second.content != first.content
    assert decode(second) == ("PNG", (1200, 630))
    assert (cache.get(card_cache_key(letter, 0)), cache.get(card_cache_key(letter, 1))) == (
        first.content,
        second.content,
    )


def test_card_is_drawn_again_for_a_new_revision(client, letter):
    first = client.get("/letters/ai-risk/card.png")
    letter.title = "Assess AI risk with open science"
    letter.publish(change_note="New title")

    second = client.get("/letters/ai-risk/card.png")

    assert second.content != first.content
    assert card_cache_key(letter, 0) == f"letters:card:{letter.pk}:2:0"


def test_card_fits_a_very_long_title(client):
    title = "Averyveryverylongwordwithoutanyspaces" * 3 + " and then more words" * 4
    make_letter(title=title, slug="long")

    response = client.get("/letters/long/card.png")

    assert decode(response) == ("PNG", (1200, 630))


def test_title_wraps_within_the_card_and_is_shortened_when_too_long():
    typeface = font(TITLE_SIZE)
    title = "Averyveryverylongwordwithoutanyspaces" * 3 + " and then more words" * 4

    lines = wrap(title, typeface, 1040, max_lines=4)

    assert [typeface.getlength(line) <= 1040 for line in lines] == [True] * 4
    assert lines[-1].endswith("…")
    assert "".join(lines[:3]).startswith("Averyveryverylongwordwithoutanyspaces" * 2)
    assert wrap("Assess AI risk", typeface, 1040, max_lines=4) == ["Assess AI risk"]


def test_card_of_a_draft_is_404(client):
    make_letter(slug="draft", publish=False)

    assert client.get("/letters/draft/card.png").status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
def test_card_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    for _ in range(rows):
        make_signature(letter)

    # The letter with its revision, then the count; the picture comes from the cache or Pillow.
    with django_assert_num_queries(2):
        client.get("/letters/ai-risk/card.png")


def test_letter_page_has_share_tags(client, letter, settings):
    settings.SITE_URL = "https://letters.example.org"
    make_signature(letter)
    make_signature(letter)

    response = client.get("/letters/ai-risk/")

    for tag in [
        '<meta property="og:title" content="Assess AI risk with science">',
        '<meta property="og:description" content="A short summary.">',
        '<meta property="og:url" content="https://letters.example.org/letters/ai-risk/">',
        '<meta property="og:image"'
        ' content="https://letters.example.org/letters/ai-risk/card.png?v=1-2">',
        '<meta property="og:image:width" content="1200">',
        '<meta property="og:image:height" content="630">',
        '<meta property="og:image:alt"'
        ' content="Assess AI risk with science: 2 confirmed signatures">',
        '<meta name="twitter:card" content="summary_large_image">',
    ]:
        assertContains(response, tag, html=True)
