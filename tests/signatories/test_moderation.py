"""The organizers' signatures page: search, filters, hide and restore one at a time."""

import pytest
from django.urls import reverse

from letters.models import AuditEvent
from signatories.models import Level, Review, Signature
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db


def list_url(letter, **query):
    from urllib.parse import urlencode

    url = reverse("organize:signatures", args=[letter.slug])
    return f"{url}?{urlencode(query)}" if query else url


def names(response):
    return [s.name for s in response.context["page"]]


@pytest.fixture
def editor(letter):
    return make_organizer(letter, "editor")


def test_lists_every_state_with_emails_for_an_editor(client, letter, editor):
    make_signature(letter, name="Counted Person", email="counted@uni.example")
    make_signature(letter, name="Pending Person", level=Level.PENDING)
    make_signature(
        letter, name="Hidden Person", hidden_reason="spam", hidden_at="2026-11-01T00:00Z"
    )
    make_signature(letter, name="Gone Person", withdrawn_at="2026-11-01T00:00Z")
    make_signature(make_letter(slug="other"), name="Other Letter Person")
    client.force_login(editor)

    response = client.get(list_url(letter))

    assert sorted(names(response)) == [
        "Counted Person",
        "Gone Person",
        "Hidden Person",
        "Pending Person",
    ]
    html = response.content.decode()
    assert "counted@uni.example" in html
    assert "Other Letter Person" not in html


def test_search_finds_by_name_affiliation_and_email(client, letter, editor):
    make_signature(letter, name="Ada Quinn", email="ada@one.example", affiliation="Alpha Lab")
    make_signature(letter, name="Bo Reyes", email="bo@two.example", affiliation="Beta Institute")
    client.force_login(editor)

    assert names(client.get(list_url(letter, q="quinn"))) == ["Ada Quinn"]
    assert names(client.get(list_url(letter, q="beta"))) == ["Bo Reyes"]
    assert names(client.get(list_url(letter, q="two.example"))) == ["Bo Reyes"]


def test_filters_by_level_and_state(client, letter, editor):
    make_signature(letter, name="Domain Person", level=Level.DOMAIN)
    make_signature(letter, name="Plain Person")
    make_signature(letter, name="Held Person", review=Review.HELD, hold_reason="x")
    make_signature(
        letter, name="Hidden Person", hidden_reason="spam", hidden_at="2026-11-01T00:00Z"
    )
    client.force_login(editor)

    assert names(client.get(list_url(letter, level="domain"))) == ["Domain Person"]
    assert names(client.get(list_url(letter, state="held"))) == ["Held Person"]
    assert names(client.get(list_url(letter, state="hidden"))) == ["Hidden Person"]
    assert sorted(names(client.get(list_url(letter, state="counted")))) == [
        "Domain Person",
        "Plain Person",
    ]


def test_a_bad_filter_is_a_message_not_an_error(client, letter, editor):
    make_signature(letter)
    client.force_login(editor)

    response = client.get(list_url(letter, level="emperor", page="x"))

    assert response.status_code == 400
    assert names(response) == []
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_query_count_does_not_grow(client, letter, editor, rows, django_assert_num_queries):
    for _ in range(rows):
        make_signature(letter)
    client.force_login(editor)

    # Session, user, letter, membership, count, page of signatures (organizations joined).
    with django_assert_num_queries(6):
        response = client.get(list_url(letter))

    assert len(names(response)) == rows


def test_hide_with_a_reason_takes_it_out_of_the_list_and_counts(client, letter, editor):
    signature = make_signature(letter, name="Spam Bot")
    client.force_login(editor)

    response = client.post(
        reverse("organize:hide", args=[letter.slug, signature.pk]), {"reason": "Spam wave"}
    )

    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.hidden_reason, signature.hidden_by) == ("Spam wave", editor)
    assert Signature.objects.counts_for(letter)["total"] == 0
    public = client.get(f"/letters/{letter.slug}/signatories/")
    assert list(public.context["rows"]) == []
    event = AuditEvent.objects.get()
    assert (event.action, event.detail) == ("signature.hidden", {"reason": "Spam wave"})


def test_restore_puts_it_back_and_records_the_reason(client, letter, editor):
    signature = make_signature(letter, name="Real Person")
    signature.hide(by=editor, reason="Mistake")
    client.force_login(editor)

    client.post(
        reverse("organize:restore", args=[letter.slug, signature.pk]), {"reason": "Was real"}
    )

    signature.refresh_from_db()
    assert signature.hidden_at is None
    assert Signature.objects.counts_for(letter)["total"] == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.detail) == ("signature.restored", {"reason": "Was real"})


def test_hiding_without_a_reason_changes_nothing(client, letter, editor):
    signature = make_signature(letter)
    client.force_login(editor)

    response = client.post(reverse("organize:hide", args=[letter.slug, signature.pk]), {})

    assert response.status_code == 400
    assert "Give a reason for hiding this signature." in response.content.decode()
    signature.refresh_from_db()
    assert signature.hidden_at is None
    assert not AuditEvent.objects.exists()


def test_a_reason_with_control_characters_is_refused_and_changes_nothing(client, letter, editor):
    signature = make_signature(letter)
    client.force_login(editor)

    response = client.post(
        reverse("organize:hide", args=[letter.slug, signature.pk]), {"reason": "spam\x1b[2J"}
    )

    assert response.status_code == 400
    signature.refresh_from_db()
    assert signature.hidden_at is None
    assert not AuditEvent.objects.exists()


def test_hiding_twice_records_once(client, letter, editor):
    signature = make_signature(letter)
    url = reverse("organize:hide", args=[letter.slug, signature.pk])
    client.force_login(editor)

    client.post(url, {"reason": "Spam"})
    response = client.post(url, {"reason": "Spam again"}, follow=True)

    assert "was already hidden" in response.content.decode()
    assert AuditEvent.objects.count() == 1
    assert Signature.objects.counts_for(letter)["total"] == 0


def test_a_signature_of_another_letter_is_404(client, letter, editor):
    foreign = make_signature(make_letter(slug="other"))
    client.force_login(editor)

    response = client.post(
        reverse("organize:hide", args=[letter.slug, foreign.pk]), {"reason": "Spam"}
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.hidden_at is None


def test_flag_from_the_signatures_page_returns_there(client, letter, editor):
    signature = make_signature(letter, name="Odd Person")
    client.force_login(editor)
    page = list_url(letter, q="odd")
    assert 'name="reason"' in client.get(page).content.decode()

    response = client.post(
        reverse("organize:flag", args=[letter.slug, signature.pk]),
        {"reason": "Check the affiliation", "next": page},
    )

    assert response["Location"] == page
    signature.refresh_from_db()
    assert (signature.review, signature.hold_reason) == (Review.FLAGGED, "Check the affiliation")


def test_search_with_a_nul_byte_is_a_message_not_an_error(client, letter, editor):
    client.force_login(editor)

    response = client.get(list_url(letter, q="a\x00b"))

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
