"""The interface in English, French and German: chosen by cookie (the header's switcher) or by
the browser's Accept-Language, with the public addresses unchanged."""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from pytest_django.asserts import assertContains

from letters.versions import CANONICAL_LINKS, CANONICAL_NOTICES
from signatories.models import Level
from tests.builders import make_signature

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"


def html_lang(response):
    return re.search(r'<html lang="([^"]+)">', response.text).group(1)


def h1(response):
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S).group(1).strip()


def choose_language(client, code):
    """What the header's switcher does: a plain form POST to set_language."""
    return client.post("/i18n/setlang/", {"language": code, "next": "/"})


@pytest.mark.parametrize(
    ("code", "heading", "sign"),
    [
        ("en", "Open letters", "Sign this letter"),
        ("fr", "Lettres ouvertes", "Signer cette lettre"),
        ("de", "Offene Briefe", "Diesen Brief unterzeichnen"),
    ],
)
def test_pages_follow_the_language_cookie(client, letter, code, heading, sign):
    choose_language(client, code)

    index = client.get("/")
    page = client.get("/letters/ai-risk/")

    assert (html_lang(index), h1(index)) == (code, heading)
    assert html_lang(page) == code
    assert re.search(r'<h2 id="sign-heading">(.*?)</h2>', page.text).group(1) == sign


@pytest.mark.parametrize(
    ("accept", "code", "heading"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr", "Lettres ouvertes"),
        ("de-AT,de;q=0.9", "de", "Offene Briefe"),
        ("es-ES,es;q=0.9", "en", "Open letters"),
        ("", "en", "Open letters"),
    ],
)
def test_pages_follow_accept_language_without_a_cookie(client, letter, accept, code, heading):
    response = client.get("/", headers={"accept-language": accept})

    assert (html_lang(response), h1(response)) == (code, heading)
    assert response["Content-Language"] == code


def test_the_cookie_wins_over_accept_language(client, letter):
    choose_language(client, "de")

    response = client.get("/", headers={"accept-language": "fr"})

    assert (html_lang(response), h1(response)) == ("de", "Offene Briefe")


def test_public_addresses_carry_no_language_prefix(client, letter):
    choose_language(client, "fr")

    assert client.get("/letters/ai-risk/").status_code == 200
    assert client.get("/fr/letters/ai-risk/").status_code == 404


def test_switcher_works_without_javascript(client, letter):
    form = client.get("/letters/ai-risk/signatories/?q=ada")
    assertContains(
        form,
        '<input type="hidden" name="next" value="/letters/ai-risk/signatories/?q=ada">',
        html=True,
    )
    assertContains(form, '<label for="language-select">Language</label>', html=True)
    assertContains(form, '<option value="fr" lang="fr">Français</option>', html=True)

    response = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "/letters/ai-risk/signatories/?q=ada"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        "/letters/ai-risk/signatories/?q=ada",
    )
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(response["Location"])
    assert (html_lang(page), h1(page)) == ("fr", "Signataires")
    assertContains(page, '<option value="fr" lang="fr" selected>Français</option>', html=True)


def test_switcher_offers_each_language_the_site_speaks_once_selected_where_read(client, letter):
    page = client.get("/privacy/", headers={"accept-language": "de"})

    options = re.findall(
        r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', page.text
    )
    assert options == [
        ("en", "", "English"),
        ("fr", "", "Français"),
        ("de", " selected", "Deutsch"),
    ]


def test_switcher_on_a_refused_signature_returns_to_the_letter(client, letter):
    response = client.post("/letters/ai-risk/sign/", {"name": ""})

    assert response.status_code == 400
    assertContains(
        response,
        '<input type="hidden" name="next" value="/letters/ai-risk/">',
        html=True,
        status_code=400,
    )


def test_switcher_refuses_to_redirect_off_site(client, letter):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_letter_page_in_german_shows_counts_badges_and_form(client, letter):
    make_signature(letter, name="Grace Hopper", affiliation="Navy", level=Level.DOMAIN)
    choose_language(client, "de")

    response = client.get("/letters/ai-risk/")

    assertContains(
        response,
        '<span data-count-label data-singular="bestätigte Unterschrift" '
        'data-plural="bestätigte Unterschriften">bestätigte Unterschrift</span>',
        html=True,
    )
    assertContains(
        response,
        '<div><dt>Institutionelle E-Mail</dt><dd data-count="domain">1</dd></div>',
        html=True,
    )
    assertContains(
        response, '<span class="badge badge--domain">Institutionelle E-Mail</span>', html=True
    )
    assertContains(response, '<label for="id_name">Vollständiger Name</label>', html=True)
    assertContains(response, '<button type="submit" class="button">Brief unterzeichnen</button>')
    # German dates: day, full stop, month name.
    published = letter.published_at
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]
    months += ["September", "Oktober", "November", "Dezember"]
    assert (
        f"Veröffentlicht am {published.day}. {months[published.month - 1]} {published.year}"
        " · Revision 1" in response.text
    )


def test_french_plural_counts_zero_as_singular(client, letter):
    choose_language(client, "fr")

    response = client.get("/")

    assert "<strong>0</strong> signature confirmée" in response.text


@pytest.mark.parametrize(
    ("code", "title", "text"),
    [
        ("fr", "Page introuvable · Undersigned", "Il n’y a aucune page à cette adresse."),
        ("de", "Seite nicht gefunden · Undersigned", "Unter dieser Adresse gibt es keine Seite."),
    ],
)
def test_error_pages_are_translated(client, settings, code, title, text):
    settings.DEBUG = False

    response = client.get("/no-such-page/", headers={"accept-language": code})

    assert response.status_code == 404
    assert html_lang(response) == code
    assert f"<title>{title}</title>" in response.text
    assert text in response.text


def test_500_page_is_translated_and_has_no_switcher_it_could_not_post(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.failing_urls"
    client.raise_request_exception = False

    response = client.get("/broken/", headers={"accept-language": "fr"})

    assert response.status_code == 500
    assert h1(response) == "Une erreur s’est produite"
    assert "language-form" not in response.text


def test_embed_is_translated(client, letter):
    make_signature(letter)

    response = client.get("/letters/ai-risk/embed/", headers={"accept-language": "fr"})

    assertContains(
        response, '<p class="embed__total"><strong>1</strong> signature confirmée</p>', html=True
    )
    assertContains(response, "<div><dt>E-mail confirmé</dt><dd>1</dd></div>", html=True)
    # The letter's own title keeps its language inside the French frame.
    assertContains(
        response,
        '<h1 class="embed__title" lang="en"><a href="/letters/ai-risk/" target="_blank" '
        'rel="noopener">Assess AI risk with science</a></h1>',
        html=True,
    )
    assert response["Vary"] == "Accept-Language"


def test_form_labels_help_and_our_messages_are_translated(client, letter):
    response = client.post(
        "/letters/ai-risk/sign/",
        {"name": "!!!", "email": "x@", "affiliation": "Lab", "role": "Prof", "public": "on"},
        headers={"accept-language": "fr"},
    )

    assert response.status_code == 400
    assert "Veuillez corriger les points suivants" in response.text
    assert "Nom complet\u00a0: Saisissez votre nom en lettres." in response.text
    assert "Adresse e-mail\u00a0: Saisissez une adresse e-mail valide." in response.text
    assert "Tel que vous souhaitez qu’il apparaisse sous la lettre." in response.text


def test_signatory_filters_are_translated(client, letter):
    response = client.get(
        "/letters/ai-risk/signatories/?level=domain&country=XX1", headers={"accept-language": "de"}
    )

    assert response.status_code == 400
    assert "Land: Bitte geben Sie einen zweistelligen Ländercode ein, etwa DE." in response.text
    assertContains(
        response,
        '<option value="domain" selected>Institutionelle E-Mail</option>',
        html=True,
        status_code=400,
    )


def test_every_language_has_a_canonical_notice_and_link():
    codes = {code for code, _name in settings.LANGUAGES}

    assert set(CANONICAL_NOTICES) == codes
    assert set(CANONICAL_LINKS) == codes


def po_messages(path):
    """{(context, msgid): [msgstr, …]} from a .po file, read without gettext's tools."""
    messages, entry, field = {}, None, None

    def finish():
        if entry and entry["id"]:
            messages[(entry["ctx"], entry["id"])] = [entry["str"][n] for n in sorted(entry["str"])]

    for line in path.read_text().splitlines() + [""]:
        if not line.strip():
            finish()
            entry, field = None, None
            continue
        if line.startswith("#"):
            continue
        entry = entry or {"ctx": None, "id": "", "str": {}}
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = None, line
        value = ast.literal_eval(rest)
        if keyword == "msgctxt":
            field, entry["ctx"] = "ctx", value
        elif keyword == "msgid":
            field, entry["id"] = "id", value
        elif keyword == "msgid_plural":
            field = "plural"
        elif keyword and keyword.startswith("msgstr"):
            field = int(keyword[7:-1]) if "[" in keyword else 0
            entry["str"][field] = value
        elif field == "ctx":
            entry["ctx"] += value
        elif field == "id":
            entry["id"] += value
        elif isinstance(field, int):
            entry["str"][field] += value
    return messages


@pytest.mark.parametrize("code", ["fr", "de"])
def test_catalog_is_complete_and_compiled(code):
    """Every message has a translation, and the committed .mo says what the .po says.

    The site reads only the .mo (it must not need gettext to run), so a .po edited without
    `manage.py compilemessages` would silently not take effect.
    """
    folder = LOCALE / code / "LC_MESSAGES"
    messages = po_messages(folder / "django.po")
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    assert [key for key, strings in messages.items() if not all(strings)] == []
    for (context, msgid), strings in messages.items():
        if len(strings) == 1:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert got == strings[0], msgid
        else:
            forms = [compiled.ngettext(msgid, msgid, n) for n in (1, 2)]
            assert forms == strings, msgid


def test_catalogs_hold_exactly_the_messages_the_code_has(tmp_path):
    """A message renamed in a template (a placeholder, say) but not in the catalogs is shown
    untranslated, though every entry of the catalogs is translated: here, the README's
    makemessages run on a copy of the project finds no message the catalogs lack or keep."""
    if shutil.which("xgettext") is None:
        reason = "xgettext is missing: install Debian's gettext package to check the catalogs."
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    copy = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "tests", "bench", "*.sqlite3"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "-l", "de"]
        + ["-e", "html,txt,py,svg", "--ignore=tests", "--ignore=bench", "--no-obsolete"],
        cwd=copy,
        env={**os.environ, "DATABASE_URL": "sqlite://:memory:"},
        check=True,
        capture_output=True,
    )

    for code in ["fr", "de"]:
        ours = set(po_messages(LOCALE / code / "LC_MESSAGES" / "django.po"))
        found = set(po_messages(copy / "locale" / code / "LC_MESSAGES" / "django.po"))
        assert sorted(found - ours, key=str) == [], f"{code}: not in the catalog (makemessages)"
        assert sorted(ours - found, key=str) == [], f"{code}: no longer in the code"


def test_badge_speaks_the_readers_language(client, letter):
    make_signature(letter)

    response = client.get("/letters/ai-risk/badge.svg", headers={"accept-language": "de"})

    assert 'aria-label="Unterschriften: 1"' in response.text
    assert "<title>Assess AI risk with science: 1 bestätigte Unterschrift</title>" in response.text
