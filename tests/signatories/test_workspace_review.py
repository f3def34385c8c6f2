"""The review queue in the organizer workspace (/organize/<slug>/review/)."""

import pytest
from django.urls import reverse

from letters.models import AuditEvent
from signatories.models import Level, Review, Signature
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(letter):
    return make_organizer(letter, "reviewer", email="rosa@organizers.example.org")


@pytest.fixture
def held(letter):
    return make_signature(
        letter,
        name="G. Hinton",
        affiliation="Independent",
        review=Review.HELD,
        hold_reason="Name matches Geoffrey Hinton, a signatory verified by institutional email.",
        evidence_url="https://example.net/~ghinton",
    )


def queue_url(letter):
    return reverse("organize:review_queue", args=[letter.slug])


def decide_url(signature):
    return reverse("organize:decide", args=[signature.letter.slug, signature.pk])


def listed_names(client, letter):
    response = client.get(f"/letters/{letter.slug}/signatories/")
    return [s.name for s in response.context["rows"]]


def test_queue_lists_this_letters_held_signatures_with_reason_and_evidence(
    client, letter, reviewer, held
):
    make_signature(letter, name="Published Person")
    other = make_letter(slug="other")
    make_signature(other, name="Other Held", review=Review.HELD, hold_reason="x")
    client.force_login(reviewer)

    response = client.get(queue_url(letter))

    assert response.status_code == 200
    assert [s.name for s in response.context["page"]] == ["G. Hinton"]
    html = response.content.decode()
    assert "Name matches Geoffrey Hinton" in html
    assert 'href="https://example.net/~ghinton" rel="nofollow noopener noreferrer"' in html
    assert "Other Held" not in html
    assert "Published Person" not in html


@pytest.mark.parametrize("rows", [1, 30])
def test_queue_query_count_does_not_grow(client, letter, reviewer, rows, django_assert_num_queries):
    for n in range(rows):
        make_signature(letter, review=Review.HELD, hold_reason=f"Reason {n}")
    client.force_login(reviewer)

    # Session, user, letter, membership, count, page of signatures.
    with django_assert_num_queries(6):
        response = client.get(queue_url(letter))

    assert len(response.context["page"]) == rows


def test_approving_with_a_reason_publishes_at_organizer_level_and_audits(
    client, letter, reviewer, held
):
    client.force_login(reviewer)

    response = client.post(
        decide_url(held), {"decision": "approve", "reason": "Staff page links to this address."}
    )

    assert response.status_code == 302
    assert response["Location"] == queue_url(letter)
    held.refresh_from_db()
    assert (held.level, held.review, held.reviewed_by, held.review_reason) == (
        Level.ORGANIZER,
        Review.APPROVED,
        reviewer,
        "Staff page links to this address.",
    )
    assert "G. Hinton" in listed_names(client, letter)
    event = AuditEvent.objects.get()
    assert (event.letter, event.actor, event.action, event.target_id, event.detail) == (
        letter,
        reviewer,
        "signature.approved",
        str(held.public_id),
        {"reason": "Staff page links to this address."},
    )


def test_rejecting_keeps_it_unpublished(client, letter, reviewer, held):
    client.force_login(reviewer)

    client.post(decide_url(held), {"decision": "reject", "reason": "No evidence."})

    held.refresh_from_db()
    assert (held.level, held.review, held.review_reason) == (
        Level.CONFIRMED,
        Review.REJECTED,
        "No evidence.",
    )
    assert "G. Hinton" not in listed_names(client, letter)
    assert AuditEvent.objects.get().action == "signature.rejected"


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "approve"},
        {"decision": "approve", "reason": "   "},
        {"decision": "approve", "reason": "x" * 501},
        {"decision": "approve", "reason": "nul\x00byte"},
        {"decision": "publish", "reason": "Looks fine"},
        {},
    ],
)
def test_a_decision_without_a_usable_reason_changes_nothing(client, letter, reviewer, held, data):
    client.force_login(reviewer)

    response = client.post(decide_url(held), data)

    assert response.status_code == 400
    assert "Give a reason for your decision." in response.content.decode()
    held.refresh_from_db()
    assert (held.level, held.review) == (Level.CONFIRMED, Review.HELD)
    assert not AuditEvent.objects.exists()


def test_a_signature_of_another_letter_is_404_and_untouched(client, letter, reviewer):
    other = make_letter(slug="other")
    foreign = make_signature(other, review=Review.HELD, hold_reason="x")
    client.force_login(reviewer)

    for name, data in [
        ("decide", {"decision": "approve", "reason": "r"}),
        ("flag", {"reason": "r"}),
        ("notable", {"notable": "on"}),
    ]:
        url = reverse(f"organize:{name}", args=[letter.slug, foreign.pk])
        assert client.post(url, data).status_code == 404

    foreign.refresh_from_db()
    assert (foreign.review, foreign.notable) == (Review.HELD, False)
    assert not AuditEvent.objects.exists()


def test_deciding_twice_tells_the_second_reviewer_and_changes_nothing(
    client, letter, reviewer, held
):
    client.force_login(reviewer)
    client.post(decide_url(held), {"decision": "approve", "reason": "First"})

    response = client.post(
        decide_url(held), {"decision": "reject", "reason": "Second"}, follow=True
    )

    assert "G. Hinton was already decided." in response.content.decode()
    held.refresh_from_db()
    assert (held.review, held.review_reason) == (Review.APPROVED, "First")
    assert AuditEvent.objects.count() == 1


def test_flag_unpublishes_a_signature_until_decided(client, letter, reviewer):
    signature = make_signature(letter, name="Jane Doe")
    client.force_login(reviewer)

    client.post(reverse("organize:flag", args=[letter.slug, signature.pk]), {"reason": "Spam wave"})

    signature.refresh_from_db()
    assert (signature.review, signature.hold_reason) == (Review.FLAGGED, "Spam wave")
    assert "Jane Doe" not in listed_names(client, letter)
    assert list(Signature.objects.filter(letter=letter).in_review_queue()) == [signature]
    assert AuditEvent.objects.get().action == "signature.flagged"


def test_flagging_a_pending_signature_is_refused(client, letter, reviewer):
    signature = make_signature(letter, level=Level.PENDING)
    client.force_login(reviewer)

    response = client.post(
        reverse("organize:flag", args=[letter.slug, signature.pk]), {"reason": "Spam"}
    )

    assert response.status_code == 400
    signature.refresh_from_db()
    assert signature.review == Review.NONE


def test_mark_and_unmark_notable(client, letter, reviewer):
    signature = make_signature(letter, name="Yoshua Bengio")
    make_signature(letter, name="Earlier Person")
    url = reverse("organize:notable", args=[letter.slug, signature.pk])
    client.force_login(reviewer)

    client.post(url, {"notable": "on"})

    assert listed_names(client, letter)[0] == "Yoshua Bengio"
    client.post(url, {"notable": "off"})
    signature.refresh_from_db()
    assert signature.notable is False
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "signature.notable_marked",
        "signature.notable_unmarked",
    ]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "/organize/ai-risk//evil.example/",
        "/organize/ai-risk/../../admin/",
        "/organize/other/review/",
        "/organize/ai-risk/\\evil.example",
    ],
)
def test_notable_form_returns_only_to_a_page_of_this_workspace(client, letter, reviewer, next_url):
    signature = make_signature(letter)
    url = reverse("organize:notable", args=[letter.slug, signature.pk])
    client.force_login(reviewer)

    response = client.post(url, {"notable": "on", "next": next_url})

    assert response["Location"] == queue_url(letter)
