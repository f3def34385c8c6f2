from xml.etree import ElementTree

import pytest
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from signatories.addresses import canonical_email
from signatories.models import Level, Signature, recount
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db

SVG = {"svg": "http://www.w3.org/2000/svg"}


def policy(response):
    """The Content-Security-Policy header as {directive: value}."""
    directives = (
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def many_signatures(letter, count):
    """Confirmed signatures in one INSERT: enough to see thousands separators."""
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            letter=letter,
            revision=letter.current_revision,
            **Signature.name_fields(f"Signer {n}"),
            email=f"signer{n}@example.org",
            email_canonical=canonical_email(f"signer{n}@example.org"),
            affiliation="Example University",
            role="Researcher",
            level=Level.CONFIRMED,
            confirmed_at=now,
        )
        for n in range(count)
    )
    # Bulk loads skip the per-signature count changes; the recount sets the totals, as it does
    # after seed_signatures.
    recount(letter)


def test_embed_shows_the_title_counts_by_level_and_a_sign_link(client, letter):
    make_signature(letter, level=Level.DOMAIN)
    make_signature(letter)
    make_signature(letter, level=Level.PENDING)

    response = client.get("/letters/ai-risk/embed/")

    assertContains(
        response,
        '<h1 class="embed__title"><a href="/letters/ai-risk/" target="_blank" rel="noopener">'
        "Assess AI risk with science</a></h1>",
        html=True,
    )
    assertContains(
        response,
        '<p class="embed__total"><strong>2</strong> confirmed signatures</p>',
        html=True,
    )
    assertContains(response, "<div><dt>Institutional email</dt><dd>1</dd></div>", html=True)
    assertContains(response, "<div><dt>Confirmed email</dt><dd>1</dd></div>", html=True)
    assertContains(
        response,
        '<a class="embed__sign" href="/letters/ai-risk/#sign" target="_blank" rel="noopener">'
        "Sign the letter</a>",
        html=True,
    )
    # Its own small stylesheet, not the whole site's.
    assertContains(response, '<link rel="stylesheet" href="/static/css/embed.css">', html=True)
    assertNotContains(response, "site.css")


def test_embed_of_a_closed_letter_says_so_instead_of_offering_to_sign(client):
    make_letter(slug="done").close()

    response = client.get("/letters/done/embed/")

    assertContains(response, '<span class="embed__closed">Signing closed</span>', html=True)
    assertNotContains(response, "Sign the letter")


def test_only_the_embed_may_be_framed_by_other_sites(client, letter):
    page = client.get("/letters/ai-risk/")
    embed = client.get("/letters/ai-risk/embed/")

    assert (policy(page)["frame-ancestors"], page["X-Frame-Options"]) == ("'none'", "DENY")
    assert policy(embed)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in embed
    # Everything else in the embed's policy is the site's own.
    assert {k: v for k, v in policy(embed).items() if k != "frame-ancestors"} == {
        k: v for k, v in policy(page).items() if k != "frame-ancestors"
    }


def test_embed_is_publicly_cacheable_and_sets_no_cookie(client, letter):
    response = client.get("/letters/ai-risk/embed/")

    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.parametrize("path", ["embed/", "badge.svg"])
def test_embed_and_badge_of_a_draft_are_404(client, path):
    make_letter(slug="draft", publish=False)

    response = client.get(f"/letters/draft/{path}")

    assert response.status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize("path", ["embed/", "badge.svg"])
def test_embed_and_badge_queries_do_not_grow(client, letter, django_assert_num_queries, rows, path):
    for _ in range(rows):
        make_signature(letter)

    # The letter with its revision, then the counts.
    with django_assert_num_queries(2):
        response = client.get(f"/letters/ai-risk/{path}")

    assert response.status_code == 200


def test_badge_is_an_svg_with_the_count(client, letter):
    many_signatures(letter, 1234)

    response = client.get("/letters/ai-risk/badge.svg")

    assert response["Content-Type"] == "image/svg+xml"
    svg = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
    assert svg.get("aria-label") == "signatures: 1,234"
    assert [text.text for text in svg.iter("{http://www.w3.org/2000/svg}text")] == [
        "signatures",
        "1,234",
    ]
    assert int(svg.get("width")) == sum(
        int(rect.get("width")) for rect in svg.findall("svg:g/svg:rect", SVG)
    )


def test_badge_escapes_the_title_as_xml(client):
    make_signature(make_letter(title="R&D <now> \"quoted\" 'single'", slug="tricky"))

    response = client.get("/letters/tricky/badge.svg")

    svg = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
    assert svg.findtext("svg:title", namespaces=SVG) == (
        "R&D <now> \"quoted\" 'single': 1 confirmed signature"
    )


def test_badge_caches_well_and_any_site_may_load_it(client, letter):
    response = client.get("/letters/ai-risk/badge.svg")

    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert policy(response) == {
        "default-src": "'none'",
        "frame-ancestors": "'none'",
        "sandbox": "",
    }


def test_letter_page_offers_the_embed_snippets(client, letter, settings):
    settings.SITE_URL = "https://letters.example.org"

    response = client.get("/letters/ai-risk/")

    iframe = (
        '<iframe src="https://letters.example.org/letters/ai-risk/embed/"'
        ' title="Signatures for Assess AI risk with science" width="320" height="280"'
        ' loading="lazy"></iframe>'
    )
    markdown = (
        "[![Signatures](https://letters.example.org/letters/ai-risk/badge.svg)]"
        "(https://letters.example.org/letters/ai-risk/)"
    )
    assertContains(response, "<summary>Embed this letter</summary>", html=True)
    assertContains(
        response,
        f'<textarea id="embed-widget" rows="4" readonly>{escape(iframe)}</textarea>',
        html=True,
    )
    assertContains(
        response,
        f'<textarea id="embed-badge" rows="3" readonly>{markdown}</textarea>',
        html=True,
    )
