import re

import pytest
from django.core import mail
from django.utils import timezone

from signatories.models import Level, Signature
from tests.builders import make_letter, make_signature, sign_data

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_LINK = re.compile(r"http://testserver/letters/[\w-]+/confirm/[^/\s]+/")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_valid_signature_is_stored_pending_and_emailed(client, letter):
    response = client.post("/letters/ai-risk/sign/", sign_data(), REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 303
    assert response["Location"] == "/letters/ai-risk/check-email/"
    signature = Signature.objects.get()
    assert (signature.name, signature.email, signature.email_canonical) == (
        "Ada Quinn",
        "ada.quinn@example.org",
        "ada.quinn@example.org",
    )
    assert (signature.level, signature.confirmed_at, signature.public) == (
        Level.PENDING,
        None,
        True,
    )
    assert signature.revision == letter.current_revision
    assert signature.client_ip == "203.0.113.9"
    assert [m.to for m in mail.outbox] == [["ada.quinn@example.org"]]
    assert mail.outbox[0].subject == "Confirm your signature on “Assess AI risk with science”"
    assert len(CONFIRM_LINK.findall(mail.outbox[0].body)) == 1


def test_check_email_page_says_what_to_do(client, letter):
    response = client.get("/letters/ai-risk/check-email/")

    assert response.status_code == 200
    assert "Check your email" in response.text
    assert "only once it is confirmed" in response.text


def test_unticked_public_box_signs_hidden(client, letter):
    client.post("/letters/ai-risk/sign/", sign_data(public=None))

    assert Signature.objects.get().public is False


def test_same_address_in_another_case_makes_no_second_signature(client, letter):
    client.post("/letters/ai-risk/sign/", sign_data(email="Ada.Quinn@Example.org"))
    response = client.post(
        "/letters/ai-risk/sign/", sign_data(email="ADA.QUINN@EXAMPLE.ORG", name="Someone Else")
    )

    assert response.status_code == 303
    assert Signature.objects.count() == 1
    assert Signature.objects.get().name == "Ada Quinn"
    assert len(mail.outbox) == 2
    assert all(CONFIRM_LINK.search(m.body) for m in mail.outbox)


def test_pending_signature_gets_at_most_five_emails(client, letter):
    for _ in range(8):
        response = client.post("/letters/ai-risk/sign/", sign_data())
        assert response.status_code == 303

    assert len(mail.outbox) == 5
    assert Signature.objects.get().emails_sent == 5


def test_confirmed_signer_signing_again_is_told_they_already_signed(client, letter):
    make_signature(letter, email="ada.quinn@example.org", name="Ada Quinn")

    response = client.post("/letters/ai-risk/sign/", sign_data(email="Ada.Quinn@example.org"))

    assert response.status_code == 303
    assert response["Location"] == "/letters/ai-risk/check-email/"
    assert Signature.objects.count() == 1
    assert [m.subject for m in mail.outbox] == [
        "You have already signed “Assess AI risk with science”"
    ]
    assert not CONFIRM_LINK.search(mail.outbox[0].body)


def test_the_answer_is_the_same_whoever_has_signed(client, letter):
    make_signature(letter, email="known@example.org")
    make_signature(letter, email="waiting@example.org", level=Level.PENDING)

    answers = [
        client.post("/letters/ai-risk/sign/", sign_data(email=email))
        for email in ["known@example.org", "waiting@example.org", "new@example.org"]
    ]

    assert {(r.status_code, r["Location"]) for r in answers} == {
        (303, "/letters/ai-risk/check-email/")
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("affiliation", "", "This field is required."),
        ("role", "", "This field is required."),
        ("name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("name", "!!!", "Enter your name using letters."),
    ],
)
def test_invalid_field_is_reshown_with_its_message_and_values_kept(
    client, letter, field, value, message
):
    response = client.post("/letters/ai-risk/sign/", sign_data(**{field: value}))

    assert response.status_code == 400
    assert message in response.text
    assert "Please correct the following" in response.text
    kept = {k: v for k, v in sign_data().items() if k not in {field, "public", "comment"}}
    for typed in kept.values():
        assert f'value="{typed}"' in response.text
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_signing_a_closed_letter_is_refused(client):
    make_letter(slug="closed").close()

    response = client.post("/letters/closed/sign/", sign_data())

    assert response.status_code == 403
    assert "Signing has closed" in response.text
    assert Signature.objects.count() == 0


def test_signing_after_the_closing_time_is_refused(client):
    make_letter(slug="past", closes_at=timezone.now() - timezone.timedelta(minutes=1))

    response = client.post("/letters/past/sign/", sign_data())

    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_signing_a_draft_is_not_found(client):
    make_letter(slug="draft", publish=False)

    response = client.post("/letters/draft/sign/", sign_data())

    assert response.status_code == 404
    assert Signature.objects.count() == 0


def test_signature_records_the_revision_read(client, letter):
    letter.body = "Revised text."
    second = letter.publish(change_note="Clarified")

    client.post("/letters/ai-risk/sign/", sign_data())

    assert Signature.objects.get().revision == second
