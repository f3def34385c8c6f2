"""Letter translations: the revision's own text is canonical, the others are marked unofficial."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pytest_django.asserts import assertContains, assertNotContains

from letters.models import Letter, Translation
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db

FRENCH_BODY = "Nous demandons des **preuves**.\n\n1. Des méthodes publiées\n"
GERMAN_BODY = "Wir fordern **Belege**.\n"


@pytest.fixture
def translated(letter):
    """The letter in English (canonical) with French and German translations of its text."""
    revision = letter.current_revision
    revision.translate(
        language="fr",
        title="Évaluer les risques de l’IA avec la science",
        summary="Un court résumé.",
        body=FRENCH_BODY,
    )
    revision.translate(
        language="de", title="KI-Risiken wissenschaftlich bewerten", body=GERMAN_BODY
    )
    return letter


def in_language(client, code):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def article(response):
    return re.search(r"<article [^>]*>.*?</article>", response.text, re.S).group(0)


def test_reader_sees_the_translation_into_their_language_marked_unofficial(client, translated):
    response = in_language(client, "fr").get("/letters/ai-risk/")

    text = article(response)
    assert text.startswith('<article class="letter" aria-labelledby="letter-title" lang="fr">')
    assert '<h1 id="letter-title">Évaluer les risques de l’IA avec la science</h1>' in text
    assert '<p class="lede">Un court résumé.</p>' in text
    assert "<strong>preuves</strong>" in text
    assert "evidence" not in text
    assertContains(
        response,
        '<p class="notice translation-notice" lang="fr"><strong>Traduction non officielle — seul '
        "le texte anglais fait foi.</strong> "
        '<a href="/letters/ai-risk/?version=en" hreflang="en">'
        "Lire le texte anglais qui fait foi</a></p>",
        html=True,
    )
    assertContains(response, "<title>Évaluer les risques de l’IA avec la science · Undersigned")


def test_versions_are_listed_with_the_current_one_marked(client, translated):
    response = in_language(client, "fr").get("/letters/ai-risk/")

    assertContains(
        response,
        '<ul class="versions__list">'
        '<li><a href="/letters/ai-risk/?version=en" hreflang="en" lang="en">English</a> '
        '<span class="versions__kind">(texte faisant foi)</span></li>'
        '<li><a href="/letters/ai-risk/?version=fr" hreflang="fr" lang="fr" aria-current="page">'
        'Français</a> <span class="versions__kind">(traduction non officielle)</span></li>'
        '<li><a href="/letters/ai-risk/?version=de" hreflang="de" lang="de">Deutsch</a> '
        '<span class="versions__kind">(traduction non officielle)</span></li>'
        "</ul>",
        html=True,
    )


def test_canonical_link_shows_the_canonical_text_in_the_readers_interface(client, translated):
    response = in_language(client, "fr").get("/letters/ai-risk/?version=en")

    assert re.search(r'<html lang="([^"]+)">', response.text).group(1) == "fr"
    text = article(response)
    assert 'lang="en"' in text.partition(">")[0]
    assert '<h1 id="letter-title">Assess AI risk with science</h1>' in text
    assert "<strong>evidence</strong>" in text
    assertNotContains(response, "translation-notice")
    assertContains(response, '<input type="hidden" name="language" value="en"', html=False)


def test_any_reader_can_open_a_translation_and_is_told_which_text_is_canonical(client, translated):
    response = client.get("/letters/ai-risk/?version=de")

    assert '<h1 id="letter-title">KI-Risiken wissenschaftlich bewerten</h1>' in article(response)
    assertContains(
        response,
        '<p class="notice translation-notice" lang="en"><strong>Unofficial translation — the '
        "English text is the canonical version.</strong> "
        '<a href="/letters/ai-risk/?version=en" hreflang="en">Read the canonical English text</a>'
        "</p>",
        html=True,
    )


def test_without_a_translation_into_the_readers_language_the_canonical_text_shows(client, letter):
    letter.current_revision.translate(language="fr", title="Titre", body="Texte.")

    response = in_language(client, "de").get("/letters/ai-risk/")

    assert '<h1 id="letter-title">Assess AI risk with science</h1>' in article(response)
    assertNotContains(response, "translation-notice")
    assertContains(
        response,
        '<a href="/letters/ai-risk/?version=en" hreflang="en" lang="en" aria-current="page">'
        "English</a>",
        html=True,
    )


@pytest.mark.parametrize("version", ["xx", "EN", "fr", "../../", "fr\x00", "\x00"])
def test_a_version_that_does_not_exist_shows_the_canonical_text(client, letter, version):
    response = client.get("/letters/ai-risk/", {"version": version})

    assert response.status_code == 200
    assert '<h1 id="letter-title">Assess AI risk with science</h1>' in article(response)
    assertNotContains(response, "translation-notice")
    # With one version only there is no list of versions to choose from.
    assertNotContains(response, "versions__list")


def test_translation_of_an_older_revision_is_not_shown_as_the_current_text(client, letter):
    letter.current_revision.translate(language="fr", title="Ancien titre", body="Ancien texte.")
    letter.title = "Assess AI risk with science, revised"
    letter.publish(change_note="Revised")

    response = in_language(client, "fr").get("/letters/ai-risk/")

    assert "Ancien" not in response.text
    assert '<h1 id="letter-title">Assess AI risk with science, revised</h1>' in article(response)


def test_a_french_letter_is_canonical_in_french(client):
    make_letter(slug="lettre", title="Une lettre", language="fr")
    Letter.objects.get(slug="lettre").current_revision.translate(
        language="en", title="A letter", body="Text."
    )

    response = client.get("/letters/lettre/")

    assertContains(
        response,
        "<strong>Unofficial translation — the French text is the canonical version.</strong>",
    )
    assertContains(
        response,
        '<a href="/letters/lettre/?version=fr" hreflang="fr">Read the canonical French text</a>',
        html=True,
    )


@pytest.mark.parametrize("rows", [1, 30])
def test_translated_letter_page_queries_do_not_grow(
    client, translated, django_assert_num_queries, rows
):
    for _ in range(rows):
        make_signature(translated)
    in_language(client, "de")

    # As for the canonical page: the letter with its revision and its versions, the counts,
    # the recent signatories.
    with django_assert_num_queries(3):
        response = client.get("/letters/ai-risk/")

    assert "KI-Risiken wissenschaftlich bewerten" in response.text


def test_index_shows_the_title_in_the_readers_language(client, translated):
    make_letter(slug="untranslated", title="Only in English")

    response = in_language(client, "fr").get("/")

    assertContains(
        response,
        '<h2 class="letter-card__title"><a href="/letters/ai-risk/">'
        "Évaluer les risques de l’IA avec la science</a></h2>",
        html=True,
    )
    assertContains(
        response,
        '<h2 class="letter-card__title" lang="en"><a href="/letters/untranslated/">'
        "Only in English</a></h2>",
        html=True,
    )


def test_translation_body_is_sanitised_markdown(letter):
    translation = letter.current_revision.translate(
        language="fr", title="T", body="Texte *important* <script>alert(1)</script>"
    )

    assert translation.body_html == (
        "<p>Texte <em>important</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_a_translation_into_the_canonical_language_is_refused(letter):
    with pytest.raises(ValidationError) as refused:
        letter.current_revision.translate(language="en", title="T", body="B")

    assert refused.value.message_dict == {
        "language": ["The letter's own text is in this language: it is the canonical one."]
    }
    assert Translation.objects.count() == 0


def test_a_translation_must_name_a_revision_of_its_letter(letter):
    other = make_letter(slug="other")
    translation = Translation(
        letter=letter, revision=other.current_revision, language="fr", title="T", body="B"
    )

    with pytest.raises(ValidationError) as refused:
        translation.full_clean()

    assert refused.value.message_dict == {"revision": ["Choose a revision of this letter."]}


def test_one_translation_per_language_and_revision(letter):
    letter.current_revision.translate(language="fr", title="T", body="B")

    with pytest.raises(ValidationError):
        letter.current_revision.translate(language="fr", title="T2", body="B2")
    # The database holds the line too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Translation.objects.create(
            letter=letter, revision=letter.current_revision, language="fr", title="T", body="B"
        )


# The admin -----------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The values a browser would submit from the page's form fields."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            elif kind not in {"submit", "button", "file"}:
                self.values[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self.select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def form_values(html):
    """What the admin change form submits as it stands, without the inlines' empty templates."""
    reader = FormReader()
    reader.feed(html)
    return {
        name: value.removeprefix("\n")
        for name, value in reader.values.items()
        if "__prefix__" not in name
    }


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


def change_page(letter):
    return f"/admin/letters/letter/{letter.pk}/change/"


def test_admin_adds_a_translation_inline_on_the_letter(admin_client, letter):
    make_letter(slug="other")  # Its revisions must not be offered.
    page = admin_client.get(change_page(letter))
    assert page.status_code == 200
    revision_choices = re.findall(
        r'<option value="(\d+)"[^>]*>ai-risk r1</option>',
        page.text.split('name="translations-__prefix__-revision"')[1].split("</select>")[0],
    )
    assert revision_choices == [str(letter.current_revision.pk)]
    data = form_values(page.text) | {
        "translations-TOTAL_FORMS": "1",
        "translations-0-revision": str(letter.current_revision.pk),
        "translations-0-language": "de",
        "translations-0-title": "KI-Risiken wissenschaftlich bewerten",
        "translations-0-summary": "",
        "translations-0-body": "Wir fordern **Belege**.",
    }

    response = admin_client.post(change_page(letter), data)

    assert response.status_code == 302
    translation = Translation.objects.get()
    assert (translation.letter, translation.revision, translation.language) == (
        letter,
        letter.current_revision,
        "de",
    )
    assert translation.body_html == "<p>Wir fordern <strong>Belege</strong>.</p>\n"


def test_admin_refuses_a_second_translation_into_the_same_language(admin_client, letter):
    letter.current_revision.translate(language="fr", title="T", body="B")
    data = form_values(admin_client.get(change_page(letter)).text) | {
        "translations-TOTAL_FORMS": "2",
        "translations-1-revision": str(letter.current_revision.pk),
        "translations-1-language": "fr",
        "translations-1-title": "Encore",
        "translations-1-body": "Encore.",
    }

    response = admin_client.post(change_page(letter), data)

    assert response.status_code == 200
    assert "Translation with this Revision and Language already exists." in response.text
    assert list(Translation.objects.values_list("title", flat=True)) == ["T"]
