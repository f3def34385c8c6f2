"""Signing in another language: the signature records the version read, and its emails are
written in the language the signer was using the site in."""

import re

import pytest
from django.conf import settings
from django.core import mail

from signatories.models import Level, Review, Signature
from signatories.tasks import send_signature_email
from tests.builders import make_letter, make_signature, sign_data

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_PATH = re.compile(r"http://testserver(/letters/[\w-]+/confirm/[^/\s]+/)")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def translated(letter):
    letter.current_revision.translate(
        language="fr", title="Évaluer les risques de l’IA avec la science", body="Texte."
    )
    return letter


def in_language(client, code):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def hidden_language(response):
    return re.search(r'<input type="hidden" name="language" value="([^"]*)"', response.text)[1]


def test_signing_from_the_french_version_records_french(client, translated):
    in_language(client, "fr")
    page = client.get("/letters/ai-risk/")
    assert hidden_language(page) == "fr"

    response = client.post("/letters/ai-risk/sign/", sign_data(language=hidden_language(page)))

    assert (response.status_code, response["Location"]) == (303, "/letters/ai-risk/check-email/")
    signature = Signature.objects.get()
    assert (signature.language, signature.revision) == ("fr", translated.current_revision)


def test_signing_from_the_canonical_text_records_its_language(client, translated):
    page = in_language(client, "fr").get("/letters/ai-risk/?version=en")

    client.post("/letters/ai-risk/sign/", sign_data(language=hidden_language(page)))

    assert Signature.objects.get().language == "en"


@pytest.mark.parametrize(("canonical", "expected"), [("en", "en"), ("de", "de")])
def test_a_form_without_the_field_signs_the_canonical_text(client, canonical, expected):
    # Outside tools post only the fields PRODUCT.md lists.
    make_letter(slug="letter", language=canonical)

    response = client.post("/letters/letter/sign/", sign_data())

    assert response.status_code == 303
    assert Signature.objects.get().language == expected


@pytest.mark.parametrize("bogus", ["de", "xx", "EN", "en-gb", "fr\x00", "<script>"])
def test_a_version_that_does_not_exist_is_refused_with_a_message(client, translated, bogus):
    response = client.post("/letters/ai-risk/sign/", sign_data(language=bogus))

    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)[0]
    assert re.findall(r"<li>(.*?)</li>", summary) == [
        "Version read: This letter has no version in that language. Reload the page and sign again."
    ]
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_the_refusal_is_in_the_readers_language(client, translated):
    response = in_language(client, "de").post("/letters/ai-risk/sign/", sign_data(language="xx"))

    assert response.status_code == 400
    assert (
        "Gelesene Fassung: Diesen Brief gibt es nicht in dieser Sprache. "
        "Bitte laden Sie die Seite neu und unterzeichnen Sie erneut." in response.text
    )


def test_a_refused_signature_reshows_the_version_being_read(client, translated):
    response = in_language(client, "fr").post(
        "/letters/ai-risk/sign/", sign_data(language="fr", email="not-an-email")
    )

    assert response.status_code == 400
    assert '<h1 id="letter-title">Évaluer les risques de l’IA avec la science</h1>' in (
        response.text
    )
    assert hidden_language(response) == "fr"


def test_confirmation_email_is_in_the_language_the_signer_used(client, letter):
    # No German version exists: the signer reads the English text in a German interface.
    response = client.post(
        "/letters/ai-risk/sign/", sign_data(), headers={"accept-language": "de-DE,de;q=0.9"}
    )

    assert response.status_code == 303
    assert Signature.objects.get().language == "en"
    (message,) = mail.outbox
    assert message.subject == "Bestätigen Sie Ihre Unterschrift unter „Assess AI risk with science“"
    assert message.body.startswith("Guten Tag Ada Quinn,\n\nVielen Dank, dass Sie „Assess AI")
    assert "Der Link ist 7 Tage gültig." in message.body
    html, _mimetype = message.alternatives[0]
    assert '<html lang="de">' in html
    assert ">Meine Unterschrift bestätigen</a>" in html
    # The link works whatever the language of the page that opens it.
    path = CONFIRM_PATH.search(message.body)[1]
    assert client.post(path).status_code == 200
    assert Signature.objects.get().level == Level.CONFIRMED


def test_already_signed_email_is_in_the_language_of_the_new_attempt(client, letter):
    make_signature(letter, email="ada.quinn@example.org", name="Ada Quinn")

    in_language(client, "fr").post("/letters/ai-risk/sign/", sign_data())

    assert [m.subject for m in mail.outbox] == [
        "Vous avez déjà signé «\u00a0Assess AI risk with science\u00a0»"
    ]
    assert mail.outbox[0].body.startswith("Bonjour Ada Quinn,")


def test_english_signers_get_english_emails(client, letter):
    client.post("/letters/ai-risk/sign/", sign_data())

    assert [m.subject for m in mail.outbox] == [
        "Confirm your signature on “Assess AI risk with science”"
    ]


def test_task_writes_in_the_language_it_was_given(letter):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=2)

    send_signature_email.call(signature.pk, 1, "de")
    # A task queued before languages existed has no language argument: English.
    send_signature_email.call(signature.pk, 2)

    assert [m.subject for m in mail.outbox] == [
        "Bestätigen Sie Ihre Unterschrift unter „Assess AI risk with science“",
        "Confirm your signature on “Assess AI risk with science”",
    ]


def test_hold_reason_for_organizers_stays_in_english(client, letter):
    make_signature(letter, name="Geoffrey Hinton", level=Level.DOMAIN)
    in_language(client, "fr").post(
        "/letters/ai-risk/sign/", sign_data(name="Geoffrey Hinton", email="g@example.org")
    )
    path = CONFIRM_PATH.search(mail.outbox[-1].body)[1]

    response = client.post(path)

    assert "Thank you" not in response.text
    held = Signature.objects.get(email="g@example.org")
    assert (held.review, held.hold_reason) == (
        Review.HELD,
        "Name matches Geoffrey Hinton, a signatory verified by institutional email.",
    )
