"""Signer self-service: the manage link, how one is shown, one's data, withdrawal."""

import csv
import io
import json
import re
import time
from datetime import date

import pytest
from django.core import mail, signing

from letters.models import AuditEvent
from signatories.models import MANAGE_SALT, Level, Signature
from signatories.record import take_snapshot
from tests.builders import make_letter, make_organization, make_signature, sign_data

pytestmark = pytest.mark.django_db(transaction=True)

MANAGE_LINK = re.compile(r"http://testserver(/letters/[\w-]+/manage/[^/\s]+/)")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def manage_path(message):
    return MANAGE_LINK.search(message.body).group(1)


def confirm_by_email(client, **data):
    """Sign and confirm through the site, as a signer does; the signature and its emails."""
    client.post("/letters/ai-risk/sign/", sign_data(**data))
    link = re.search(r"http://testserver(/letters/\S+/confirm/\S+/)", mail.outbox[-1].body)[1]
    client.post(link)
    return Signature.objects.get(email=data.get("email", "ada.quinn@example.org"))


@pytest.fixture
def signed(client, letter):
    make_organization(name="Example University", ror_id="05abcde12", domains=())
    return confirm_by_email(client, affiliation="Example University", client_ip=None)


@pytest.fixture
def path(signed):
    return manage_path(mail.outbox[-1])


def streamed(response):
    return b"".join(response.streaming_content).decode()


def total(client):
    return client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"]


def test_confirming_emails_the_manage_link_and_it_opens_the_manage_page(client, signed):
    assert [m.to for m in mail.outbox] == [["ada.quinn@example.org"], ["ada.quinn@example.org"]]
    message = mail.outbox[-1]
    assert message.subject == "Manage your signature on “Assess AI risk with science”"

    response = client.get(manage_path(message))

    assert response.status_code == 200
    assert "Manage your signature" in response.text
    assert "Ada Quinn" in response.text
    assert "Your signature is counted and your name is listed." in response.text


def test_name_only_removes_the_affiliation_from_every_public_surface(client, signed, path):
    organization_id = signed.organization.ror_id

    response = client.post(path, {"display": "name_only", "notify_changes": "on"})

    assert response.status_code == 303
    assert client.get(response["Location"]).text.count("Your choices are saved.") == 1
    signed.refresh_from_db()
    assert (signed.public, signed.show_affiliation) == (True, False)
    listing = client.get("/letters/ai-risk/signatories/").text
    assert "Ada Quinn" in listing
    assert "Example University" not in listing
    assert "Professor of Statistics" not in listing
    assert "Example University" not in client.get("/letters/ai-risk/").text
    api = client.get("/api/v1/letters/ai-risk/signatories/").json()["results"]
    assert [(r["name"], r["affiliation"], r["role"], r["organization"]) for r in api] == [
        ("Ada Quinn", "", "", None)
    ]
    rows = list(
        csv.DictReader(io.StringIO(streamed(client.get("/letters/ai-risk/signatories.csv"))))
    )
    assert [
        (r["name"], r["affiliation"], r["role"], r["organization"], r["ror_id"]) for r in rows
    ] == [("Ada Quinn", "", "", "", "")]
    document = json.loads(streamed(client.get("/letters/ai-risk/signatories.json")))
    assert [(r["name"], r["affiliation"], r["organization"]) for r in document["signatories"]] == [
        ("Ada Quinn", "", "")
    ]
    snapshot = take_snapshot(signed.letter, date.today())
    assert "Ada Quinn" in snapshot.content
    assert "Example University" not in snapshot.content
    # Searching or filtering by the withheld affiliation must not find them either.
    assert "Ada Quinn" not in client.get("/letters/ai-risk/signatories/?q=Example").text
    assert "Ada Quinn" in client.get("/letters/ai-risk/signatories/?q=Quinn").text
    by_organization = f"/api/v1/letters/ai-risk/signatories/?organization={organization_id}"
    assert client.get(by_organization).json()["results"] == []
    event = AuditEvent.objects.get(action="signature.display_changed")
    assert (event.actor_label, event.letter, event.target_id) == (
        "signer",
        signed.letter,
        str(signed.public_id),
    )
    assert event.detail == {"before": "name_and_affiliation", "after": "name_only"}


def test_counted_but_hidden_leaves_the_list_and_stays_in_the_count(client, signed, path):
    client.post(path, {"display": "hidden", "notify_changes": "on"})

    signed.refresh_from_db()
    assert (signed.public, signed.show_affiliation) == (False, False)
    assert "Ada Quinn" not in client.get("/letters/ai-risk/signatories/").text
    assert client.get("/api/v1/letters/ai-risk/signatories/").json()["results"] == []
    assert total(client) == 1
    assert "Your signature is counted; your name is not listed." in client.get(path).text


def test_switching_back_to_name_and_affiliation_shows_it_again(client, signed, path):
    client.post(path, {"display": "name_only", "notify_changes": "on"})
    client.post(path, {"display": "name_and_affiliation", "notify_changes": "on"})

    assert "Example University" in client.get("/letters/ai-risk/signatories/").text
    assert AuditEvent.objects.filter(action="signature.display_changed").count() == 2


def test_turning_off_change_emails_is_stored_and_audited(client, signed, path):
    client.post(path, {"display": "name_and_affiliation"})

    signed.refresh_from_db()
    assert signed.notify_changes is False
    event = AuditEvent.objects.get()
    assert (event.action, event.detail) == ("signature.notify_changed", {"notify_changes": False})


def test_saving_unchanged_choices_writes_no_audit_row(client, signed, path):
    client.post(path, {"display": "name_and_affiliation", "notify_changes": "on"})

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "data", [{}, {"display": "everyone"}, {"display": "hidden\x00"}, {"display": "Hidden"}]
)
def test_a_bad_choice_is_refused_and_changes_nothing(client, signed, path, data):
    response = client.post(path, data)

    assert response.status_code == 400
    assert "Choose how your signature is shown." in response.text
    signed.refresh_from_db()
    assert (signed.public, signed.show_affiliation, signed.notify_changes) == (True, True, True)
    assert not AuditEvent.objects.exists()


def test_download_holds_everything_we_keep_including_email_and_address(client, letter):
    signature = make_signature(
        letter, name="Bo Data", email="Bo@Example.org", client_ip="2001:db8::7"
    )

    response = client.get(f"/letters/ai-risk/manage/{signature.manage_token()}/data.json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["name"] == "Bo Data"
    assert data["email"] == "Bo@Example.org"
    assert data["email_canonical"] == "bo@example.org"
    assert data["client_ip"] == "2001:db8::7"
    assert data["public_id"] == str(signature.public_id)
    assert data["letter"] == {"slug": "ai-risk", "title": "Assess AI risk with science"}
    assert data["level"] == "confirmed"
    assert data["display"] == "name_and_affiliation"


def test_withdrawing_asks_first_then_removes_from_lists_and_counts(client, signed, path):
    assert total(client) == 1
    confirm_page = client.get(path + "withdraw/")
    assert "Yes, withdraw my signature" in confirm_page.text
    assert Signature.objects.get().withdrawn_at is None

    response = client.post(path + "withdraw/")

    assert response.status_code == 303
    assert "Your signature is withdrawn" in client.get(response["Location"]).text
    assert Signature.objects.get().withdrawn_at is not None
    assert total(client) == 0
    assert "Ada Quinn" not in client.get("/letters/ai-risk/signatories/").text
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.target_id) == (
        "signature.withdrawn",
        "signer",
        str(signed.public_id),
    )
    # The link now names no signature: every page says so, and nothing else changes.
    assert client.get(path).status_code == 404
    assert client.get(path + "data.json").status_code == 404
    assert client.post(path + "withdraw/").status_code == 404
    assert AuditEvent.objects.count() == 1


def forged_tokens(signature):
    pk = signature.pk
    return [
        "nonsense",
        signature.confirmation_token(),  # the confirmation link's token: another salt
        signing.dumps(pk, salt="something.else"),
        signing.dumps(True, salt=MANAGE_SALT),
        signing.dumps(str(pk), salt=MANAGE_SALT),
        signing.dumps([pk], salt=MANAGE_SALT),
        signature.manage_token()[:-1] + ("A" if signature.manage_token()[-1] != "A" else "B"),
        "%00",
        "é" * 300,
    ]


@pytest.mark.parametrize("index", range(9))
@pytest.mark.parametrize("suffix", ["", "data.json", "withdraw/", "saved/"])
def test_forged_or_mangled_tokens_get_a_friendly_400(client, letter, index, suffix):
    signature = make_signature(letter)
    token = forged_tokens(signature)[index]

    response = client.get(f"/letters/ai-risk/manage/{token}/{suffix}")

    assert response.status_code == 400
    assert "This link does not work" in response.text
    post = client.post(f"/letters/ai-risk/manage/{token}/withdraw/")
    assert post.status_code == 400
    assert Signature.objects.get().withdrawn_at is None


def test_a_signature_of_another_letter_is_not_found(client, letter):
    other = make_letter(slug="other-letter")
    signature = make_signature(other)
    token = signature.manage_token()

    response = client.post(f"/letters/ai-risk/manage/{token}/withdraw/")

    assert response.status_code == 404
    assert "No signature to manage" in response.text
    assert client.get(f"/letters/ai-risk/manage/{token}/data.json").status_code == 404
    assert Signature.objects.get().withdrawn_at is None


def test_a_token_for_a_deleted_signature_is_not_found(client, letter):
    signature = make_signature(letter)
    token = signature.manage_token()
    signature.delete()

    assert client.get(f"/letters/ai-risk/manage/{token}/").status_code == 404


def test_asking_for_the_link_emails_it_to_a_confirmed_signer(client, letter):
    make_signature(letter, name="Cy Later", email="cy@example.org")

    response = client.post("/letters/ai-risk/manage/", {"email": "CY@example.org"})

    assert response.status_code == 303
    assert "If this address has signed" in client.get(response["Location"]).text
    (message,) = mail.outbox
    assert message.to == ["cy@example.org"]
    page = client.get(manage_path(message))
    assert "Cy Later" in page.text


def test_asking_for_an_address_that_has_not_signed_answers_the_same_and_sends_nothing(
    client, letter
):
    make_signature(letter, email="cy@example.org")

    unknown = client.post("/letters/ai-risk/manage/", {"email": "nobody@example.org"})
    known = client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["cy@example.org"]]


def test_a_pending_signer_asking_gets_the_confirmation_link_instead(client, letter):
    make_signature(letter, email="pat@example.org", level=Level.PENDING)

    client.post("/letters/ai-risk/manage/", {"email": "pat@example.org"})

    (message,) = mail.outbox
    assert "/confirm/" in message.body
    assert "/manage/" not in message.body


def test_asking_again_and_again_stops_at_the_daily_limit(client, letter, settings):
    settings.MANAGE_LINKS_PER_DAY = 3
    make_signature(letter, email="cy@example.org")

    answers = [
        client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"}) for _ in range(6)
    ]

    # The same answer every time; only the first three sent anything.
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (303, "/letters/ai-risk/manage/sent/")
    }
    assert len(mail.outbox) == 3


def test_the_limit_starts_again_the_next_day(client, letter, settings, monkeypatch):
    settings.MANAGE_LINKS_PER_DAY = 1
    make_signature(letter, email="cy@example.org")
    client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})
    client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})
    tomorrow = time.time() + 24 * 3600
    monkeypatch.setattr(time, "time", lambda: tomorrow)

    client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})

    assert len(mail.outbox) == 2


def test_a_stranger_using_up_the_email_cap_cannot_keep_the_signer_from_the_manage_link(
    client, letter, settings
):
    settings.MAX_EMAILS_PER_SIGNATURE = 2
    make_signature(letter, name="Cy Later", email="cy@example.org")
    # Someone who knows the address signs with it until the cap is used up.
    for _ in range(4):
        client.post(
            "/letters/ai-risk/sign/",
            sign_data(email="cy@example.org"),
            headers={"Sec-Fetch-Site": "same-origin"},
        )
    assert len(mail.outbox) == 2  # "already signed" emails, up to the cap
    mail.outbox.clear()

    client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})

    (message,) = mail.outbox
    assert message.to == ["cy@example.org"]
    assert "Cy Later" in client.get(manage_path(message)).text


def test_a_pending_signature_gets_no_more_than_the_email_cap_from_this_form(
    client, letter, settings, monkeypatch
):
    # Anyone can sign with an address: this form must not then send it a link every day.
    settings.MAX_EMAILS_PER_SIGNATURE = 3
    make_signature(letter, email="pat@example.org", level=Level.PENDING, emails_requested=1)
    start = time.time()
    for day in range(4):
        monkeypatch.setattr(time, "time", lambda day=day: start + day * 24 * 3600)
        for _ in range(3):
            client.post("/letters/ai-risk/manage/", {"email": "Pat@Example.org"})

    assert len(mail.outbox) == 2  # the cap, less the first confirmation email
    assert all("/confirm/" in message.body for message in mail.outbox)


def test_without_the_cache_the_answer_still_does_not_tell_who_signed(letter, monkeypatch):
    from django.test import Client

    from signatories import limits

    def cache_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    make_signature(letter, email="cy@example.org")
    monkeypatch.setattr(limits, "increment", cache_down)
    client = Client(raise_request_exception=False)

    signed = client.post("/letters/ai-risk/manage/", {"email": "cy@example.org"})
    unknown = client.post("/letters/ai-risk/manage/", {"email": "nobody@example.org"})

    assert signed.status_code == unknown.status_code == 500
    assert mail.outbox == []


@pytest.mark.parametrize(
    "email", ["", "not an address", "a@b\x00c.org", "x" * 300 + "@example.org"]
)
def test_a_bad_address_is_refused_with_a_message(client, letter, email):
    response = client.post("/letters/ai-risk/manage/", {"email": email})

    assert response.status_code == 400
    assert 'class="field__error"' in response.text
    assert mail.outbox == []


def test_already_signed_email_carries_the_manage_link(client, letter):
    signature = make_signature(letter, email="ada.quinn@example.org")

    client.post("/letters/ai-risk/sign/", sign_data())

    (message,) = mail.outbox
    token = manage_path(message).split("/")[-2]
    assert Signature.from_manage_token(token) == signature


def test_request_page_and_letter_page_link_to_each_other(client, letter):
    page = client.get("/letters/ai-risk/")
    assert 'href="/letters/ai-risk/manage/"' in page.text
    form = client.get("/letters/ai-risk/manage/")
    assert form.status_code == 200
    assert "The email address you signed with" in form.text
