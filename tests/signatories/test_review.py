import pytest
from django.contrib.auth import get_user_model

from letters.models import Organizer
from signatories.models import Level, Review, Signature
from tests.builders import make_letter, make_organization, make_signature

pytestmark = pytest.mark.django_db


def sign_and_confirm(letter, name, email="someone@example.org", **fields):
    signature = Signature.sign(
        letter=letter, name=name, email=email, affiliation="X", role="Y", **fields
    )
    signature.confirm()
    signature.refresh_from_db()
    return signature


@pytest.fixture
def reviewer(letter):
    user = get_user_model().objects.create_user("rev", "rev@example.org", "pw", is_staff=True)
    Organizer.objects.create(letter=letter, user=user, role=Organizer.Role.REVIEWER)
    return user


@pytest.mark.parametrize(
    "name", ["Geoffrey Hinton", "geoffrey  HINTON", "G. Hinton", "Dr Geoffrey Hintón"]
)
def test_name_matching_a_verified_signatory_is_held_not_published(client, letter, name):
    make_signature(letter, name="Geoffrey Hinton", level=Level.DOMAIN)

    impostor = sign_and_confirm(letter, name)

    assert impostor.review == Review.HELD
    assert impostor.hold_reason == (
        "Name matches Geoffrey Hinton, a signatory verified by institutional email."
    )
    listed = client.get("/letters/ai-risk/signatories/")
    assert listed.text.count("Hinton") == 1
    assert client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"] == 1


def test_name_matching_a_notable_signatory_is_held(letter):
    make_signature(letter, name="Yoshua Bengio", notable=True)

    assert sign_and_confirm(letter, "Yoshua Bengio").review == Review.HELD


def test_name_matching_only_a_plain_confirmed_signatory_is_published(letter):
    make_signature(letter, name="Jane Smith")

    assert sign_and_confirm(letter, "Jane Smith").review == Review.NONE


def test_same_name_on_another_letter_is_not_held(letter):
    make_signature(make_letter(slug="other"), name="Geoffrey Hinton", level=Level.ORCID)

    assert sign_and_confirm(letter, "Geoffrey Hinton").review == Review.NONE


def test_evidence_link_puts_a_published_signature_in_the_queue(letter):
    signature = sign_and_confirm(letter, "Ada Quinn", evidence_url="https://example.edu/staff/ada")

    assert signature.review == Review.REQUESTED
    assert list(Signature.objects.in_review_queue()) == [signature]
    assert Signature.objects.listed(letter).get() == signature


def test_approval_records_reviewer_time_and_reason_and_publishes(client, letter, reviewer):
    make_signature(letter, name="Geoffrey Hinton", level=Level.DOMAIN)
    held = sign_and_confirm(letter, "G. Hinton", email="g.hinton@example.org")
    client.force_login(reviewer)

    asked = client.post(
        "/admin/signatories/reviewitem/",
        {"action": "approve", "_selected_action": [held.pk]},
    )
    done = client.post(
        "/admin/signatories/reviewitem/",
        {"action": "approve", "_selected_action": [held.pk], "reason": "Called his office."},
    )

    assert "Reason (recorded with your name)" in asked.text
    assert done.status_code == 302
    held.refresh_from_db()
    assert (held.level, held.review, held.review_reason, held.reviewed_by) == (
        Level.ORGANIZER,
        Review.APPROVED,
        "Called his office.",
        reviewer,
    )
    assert held.reviewed_at is not None
    listed = client.get("/letters/ai-risk/signatories/")
    assert "G. Hinton" in listed.text
    assert '<span class="badge badge--organizer">Checked by an organizer</span>' in listed.text


def test_rejection_keeps_it_unpublished_with_the_reason(client, letter, reviewer):
    make_signature(letter, name="Geoffrey Hinton", level=Level.DOMAIN)
    held = sign_and_confirm(letter, "Geoffrey Hinton", email="fake@example.org")
    client.force_login(reviewer)

    client.post(
        "/admin/signatories/reviewitem/",
        {"action": "reject", "_selected_action": [held.pk], "reason": "Not him."},
    )

    held.refresh_from_db()
    assert (held.review, held.review_reason, held.level) == (
        Review.REJECTED,
        "Not him.",
        Level.CONFIRMED,
    )
    assert held not in Signature.objects.listed(letter)
    assert held not in Signature.objects.in_review_queue()


def test_organizer_flag_unpublishes_until_decided(client, letter, reviewer):
    signature = make_signature(letter, name="Suspicious Name")
    client.force_login(reviewer)

    client.post(
        "/admin/signatories/signature/",
        {"action": "flag", "_selected_action": [signature.pk], "reason": "Odd affiliation."},
    )

    signature.refresh_from_db()
    assert signature.review == Review.FLAGGED
    assert signature not in Signature.objects.listed(letter)
    assert list(Signature.objects.in_review_queue()) == [signature]


def test_reviewer_cannot_see_or_act_on_another_letters_signatures(client, letter, reviewer):
    other = make_letter(slug="other")
    make_signature(other, name="Geoffrey Hinton", level=Level.DOMAIN)
    foreign = sign_and_confirm(other, "Geoffrey Hinton", email="x@example.org")
    client.force_login(reviewer)

    queue = client.get("/admin/signatories/reviewitem/")
    client.post(
        "/admin/signatories/reviewitem/",
        {"action": "approve", "_selected_action": [foreign.pk], "reason": "sneaky"},
    )
    detail = client.get(f"/admin/signatories/signature/{foreign.pk}/change/")

    assert "Geoffrey Hinton" not in queue.text
    foreign.refresh_from_db()
    assert foreign.review == Review.HELD
    assert detail.status_code in {302, 403, 404}


def test_notables_are_listed_first(client, letter):
    make_signature(letter, name="Early Notable", notable=True)
    make_signature(letter, name="Later Person")

    response = client.get("/letters/ai-risk/signatories/")

    assert response.text.index("Early Notable") < response.text.index("Later Person")


def test_letter_policy_sets_the_minimum_level_to_be_listed(client, letter):
    make_signature(letter, name="Plain Confirmed")
    make_signature(
        letter, name="Institutional Person", level=Level.DOMAIN, organization=make_organization()
    )
    letter.min_public_level = "domain"
    letter.save()

    response = client.get("/letters/ai-risk/signatories/")

    assert "Institutional Person" in response.text
    assert "Plain Confirmed" not in response.text
    assert client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"] == 2


def test_reviewer_marks_a_signature_notable_and_it_is_listed_first(client, letter, reviewer):
    make_signature(letter, name="Earlier Person")
    later = make_signature(letter, name="Later Person")
    first = make_signature(letter, name="Becomes Notable", confirmed_at=letter.published_at)
    client.force_login(reviewer)

    client.post(
        "/admin/signatories/signature/",
        {"action": "mark_notable", "_selected_action": [first.pk]},
    )

    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.notable, later.notable) == (True, False)
    listed = client.get("/letters/ai-risk/signatories/").text
    assert listed.index("Becomes Notable") < listed.index("Later Person")
