import re

import pytest
from django.core import mail, signing

from signatories.models import CONFIRM_SALT, Level, Signature
from signatories.views import MANAGE_LINK_STAND_IN
from tests.builders import make_letter, make_signature, sign_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def emailed_path(message):
    url = re.search(r"http://testserver(/letters/\S+/confirm/\S+/)", message.body)
    return url.group(1)


@pytest.fixture
def link(client, letter):
    client.post("/letters/ai-risk/sign/", sign_data())
    return emailed_path(mail.outbox[-1])


def test_following_the_link_shows_a_button_and_changes_nothing(client, link):
    response = client.get(link)

    assert response.status_code == 200
    assert "Confirm my signature" in response.text
    assert "Ada Quinn" in response.text
    assert Signature.objects.get().level == Level.PENDING


def test_pressing_the_button_confirms(client, link, letter):
    response = client.post(link)

    assert response.status_code == 200
    assert "your signature is confirmed" in response.text
    signature = Signature.objects.get()
    assert signature.level == Level.CONFIRMED
    assert signature.confirmed_at is not None
    counts = client.get("/api/v1/letters/ai-risk/").json()["counts"]
    assert counts == {
        "total": 1,
        "by_level": {"confirmed": 1, "domain": 0, "orcid": 0, "organizer": 0},
    }
    listed = client.get("/letters/ai-risk/signatories/")
    assert "Ada Quinn" in listed.text


def test_link_works_once(client, link):
    client.post(link)
    confirmed_at = Signature.objects.get().confirmed_at

    again = client.post(link)

    assert again.status_code == 200
    assert "already confirmed" in again.text
    assert Signature.objects.get().confirmed_at == confirmed_at


def test_expired_link_gets_a_friendly_page_and_can_ask_for_a_new_one(
    client, link, settings, monkeypatch
):
    eight_days = 8 * 24 * 3600
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + eight_days)

    response = client.get(link)

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert "Send me a new link" in response.text
    client.post(link)
    assert len(mail.outbox) == 2
    assert Signature.objects.get().level == Level.PENDING


def eight_days_later(monkeypatch):
    eight_days = 8 * 24 * 3600
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + eight_days)


def test_a_stranger_using_up_the_email_cap_cannot_keep_the_signer_from_a_fresh_link(
    client, link, settings, monkeypatch
):
    settings.MAX_EMAILS_PER_SIGNATURE = 3
    # Someone who knows the address signs with it again and again, from other addresses.
    for n in range(4):
        client.post("/letters/ai-risk/sign/", sign_data(), REMOTE_ADDR=f"198.51.100.{n}")
    assert len(mail.outbox) == 3
    eight_days_later(monkeypatch)

    client.post(link)

    assert len(mail.outbox) == 4
    fresh = emailed_path(mail.outbox[-1])
    assert mail.outbox[-1].to == [sign_data()["email"]]
    assert fresh != link
    response = client.post(fresh)
    assert response.status_code == 200
    assert Signature.objects.get().level == Level.CONFIRMED
    # The manage link still comes by email, though the cap was used up.
    assert len(mail.outbox) == 5
    assert mail.outbox[-1].to == [sign_data()["email"]]
    assert "/manage/" in mail.outbox[-1].body


def test_fresh_links_are_limited_per_signature_and_day(client, link, settings, monkeypatch):
    settings.FRESH_LINKS_PER_DAY = 2
    eight_days_later(monkeypatch)

    answers = [client.post(link) for _ in range(4)]

    # The same answer every time; only the first two sent anything.
    assert [answer.status_code for answer in answers] == [303] * 4
    assert len(mail.outbox) == 1 + 2
    assert Signature.objects.get().emails_requested == 3


@pytest.mark.parametrize(
    "token", ["garbage", "MQ:1xX3lY:forged", signing.dumps("x", salt=CONFIRM_SALT)]
)
def test_bad_link_gets_a_friendly_page(client, letter, token):
    response = client.get(f"/letters/ai-risk/confirm/{token}/")

    assert response.status_code == 400
    assert "This link does not work" in response.text


def test_link_for_another_letter_does_not_confirm(client, letter):
    other = make_letter(slug="other")
    signature = make_signature(other, level=Level.PENDING)

    response = client.post(f"/letters/ai-risk/confirm/{signature.confirmation_token()}/")

    assert response.status_code == 400
    signature.refresh_from_db()
    assert signature.level == Level.PENDING


def test_confirming_after_the_letter_closed_is_refused(client, link, letter):
    letter.close()

    response = client.post(link)

    assert response.status_code == 403
    assert "Signing has closed" in response.text
    assert Signature.objects.get().level == Level.PENDING


# What the confirmed page tells the signer, for each way a confirmed signature can be shown.


def confirm_page(client, signature):
    response = client.post(f"/letters/ai-risk/confirm/{signature.confirmation_token()}/")
    assert response.status_code == 200
    return response.text


def test_confirmed_public_signature_is_said_to_appear_on_the_letter(client, letter):
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING)

    assert "Your name now appears on" in confirm_page(client, signature)


def test_confirmed_private_signature_is_said_to_be_counted_not_listed(client, letter):
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING, public=False)

    text = confirm_page(client, signature)

    assert "is counted; as you asked, your name is not listed" in text
    assert "Your name now appears" not in text


def test_letter_listing_only_verified_names_says_the_signature_is_counted(client, letter):
    letter.min_public_level = Level.DOMAIN
    letter.save(update_fields=["min_public_level"])
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING)

    text = confirm_page(client, signature)

    assert "This letter lists only names verified beyond a confirmed email" in text
    assert "Your name now appears" not in text


def test_a_name_matching_a_notable_signatory_is_said_to_be_checked_first(client, letter):
    make_signature(letter, name="Ada Quinn", notable=True)
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING)

    text = confirm_page(client, signature)

    assert "an organizer will check your signature before it is counted or listed" in text
    assert "Your name now appears" not in text


def test_a_second_visit_tells_the_same_from_the_stored_row(client, letter):
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING, public=False)
    confirm_page(client, signature)

    text = confirm_page(client, signature)

    assert "Your signature was already confirmed" in text
    assert "is counted; as you asked, your name is not listed" in text


# Anonymous signers share one rendering of the page per letter, language and outcome
# (signatories/views.py); each still gets their own manage link.


def managed(text):
    """The signatures the page's manage links are for."""
    tokens = re.findall(r'href="/letters/ai-risk/manage/([^"/]+)/"', text)
    return [Signature.from_manage_token(token) for token in tokens]


def test_each_signer_gets_their_own_manage_link_from_the_shared_rendering(client, letter):
    first, second = (
        make_signature(letter, name=name, level=Level.PENDING) for name in ["Ada Quinn", "Bo Reyes"]
    )

    responses = [
        client.post(f"/letters/ai-risk/confirm/{s.confirmation_token()}/") for s in [first, second]
    ]

    for response, signature in zip(responses, [first, second], strict=True):
        assert managed(response.text) == [signature]
        assert MANAGE_LINK_STAND_IN not in response.text
        assert "Thank you, your signature is confirmed" in response.text
        # The manage link is a secret: no cache keeps the page.
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
    rendered = [[t.name for t in response.templates] for response in responses]
    assert "signatories/confirmed.html" in rendered[0]
    # The first one's rendering, with the second's link (the templates left are the email's).
    assert "signatories/confirmed.html" not in rendered[1]


def test_the_shared_rendering_leads_the_language_form_to_the_signers_manage_page(client, letter):
    signature = make_signature(letter, name="Ada Quinn", level=Level.PENDING)

    text = confirm_page(client, signature)

    next_value = re.search(r'name="next" value="([^"]+)"', text).group(1)
    assert managed(f'href="{next_value}"') == [signature]
    # The address of the page is the signer's confirmation link; nothing on it repeats it.
    assert signature.confirmation_token() not in text
    assert "csrfmiddlewaretoken" not in text
    assert 'href="/accounts/login/?next=/letters/ai-risk/"' in text
    french = client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": next_value},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert french.status_code == 302
    assert french["Location"] == next_value


def test_a_signer_with_another_outcome_or_language_gets_a_page_of_their_own(client, letter):
    listed, unlisted, french = (
        make_signature(letter, name=name, level=Level.PENDING, public=public)
        for name, public in [("Ada Quinn", True), ("Bo Reyes", False), ("Cy Morel", True)]
    )

    assert "Your name now appears on" in confirm_page(client, listed)
    assert "as you asked, your name is not listed" in confirm_page(client, unlisted)
    client.cookies["django_language"] = "fr"
    text = confirm_page(client, french)

    assert 'lang="fr"' in text
    assert "Your name now appears on" not in text
    assert managed(text) == [french]
    assert "Vous pouvez <a href=" in text and "gérer votre signature</a>" in text


def test_on_a_letter_listing_only_verified_names_public_and_private_signers_are_told_apart(
    client, letter
):
    letter.min_public_level = Level.DOMAIN
    letter.save(update_fields=["min_public_level"])
    public, private = (
        make_signature(letter, name=name, level=Level.PENDING, public=public)
        for name, public in [("Ada Quinn", True), ("Bo Reyes", False)]
    )

    assert "lists only names verified beyond a confirmed email" in confirm_page(client, public)
    assert "as you asked, your name is not listed" in confirm_page(client, private)


def test_a_renamed_letter_shows_on_the_page_within_a_second(client, letter, held_clock):
    first, second, third = (
        make_signature(letter, name=name, level=Level.PENDING)
        for name in ["Ada Quinn", "Bo Reyes", "Cy Morel"]
    )
    confirm_page(client, first)
    letter.title = "A renamed letter"
    letter.save(update_fields=["title"])

    assert "A renamed letter" not in confirm_page(client, second)  # the process's copies
    held_clock.advance(1.5)
    assert "A renamed letter" in confirm_page(client, third)


def test_a_signer_with_a_session_gets_a_page_of_their_own(client, letter, django_user_model):
    user = django_user_model.objects.create_user("ada", "ada@example.org", "x")
    anonymous, logged_in = (
        make_signature(letter, name=name, level=Level.PENDING) for name in ["Ada Quinn", "Bo Reyes"]
    )
    confirm_page(client, anonymous)
    client.force_login(user)

    response = client.post(f"/letters/ai-risk/confirm/{logged_in.confirmation_token()}/")

    assert "signatories/confirmed.html" in [t.name for t in response.templates]
    assert "Log out" in response.text
    assert "csrfmiddlewaretoken" in response.text
    assert managed(response.text) == [logged_in]
    assert "no-store" in response["Cache-Control"]
