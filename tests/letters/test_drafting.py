"""Starting a letter, editing its working text with a preview, and the secret preview link."""

import pytest

from letters.forms import MAX_BODY_CHARS
from letters.models import AuditEvent, Letter, Organizer
from tests.builders import make_letter, make_organizer, make_user

pytestmark = pytest.mark.django_db


def edit_data(letter, **overrides):
    data = {
        "title": letter.title,
        "summary": letter.summary,
        "slug": letter.slug,
        "body": letter.body,
        "language": letter.language,
        "closes_at": "",
        "goal": "",
        "min_public_level": letter.min_public_level,
        "save": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def draft(db):
    return make_letter(slug="draft-letter", publish=False)


@pytest.fixture
def owner(draft):
    return make_organizer(draft, "owner")


def test_new_letter_makes_a_draft_its_creator_owns(client):
    user = make_user("ada@example.org")
    client.force_login(user)

    response = client.post("/organize/new/", {"title": "Fund replication", "slug": "replicate"})

    letter = Letter.objects.get(slug="replicate")
    assert response.status_code == 302
    assert response["Location"] == "/organize/replicate/edit/"
    assert (letter.title, letter.status, letter.created_by) == ("Fund replication", "draft", user)
    assert Organizer.objects.get(letter=letter).user == user
    assert Organizer.objects.get(letter=letter).role == "owner"
    event = AuditEvent.objects.get(letter=letter)
    assert (event.action, event.actor) == ("letter.created", user)


def test_new_letter_needs_login(client):
    response = client.get("/organize/new/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Has Spaces", "Use only lower-case letters, digits and hyphens"),
        ("<script>", "Use only lower-case letters, digits and hyphens"),
        ("new", "This address is reserved"),
        ("invitations", "This address is reserved"),
        ("taken", "Another letter already has this address"),
        ("x" * 81, "Ensure this value has at most 80 characters"),
    ],
)
def test_new_letter_refuses_a_bad_address_clearly(client, slug, message):
    make_letter(slug="taken")
    client.force_login(make_user())

    response = client.post("/organize/new/", {"title": "A letter", "slug": slug})

    assert response.status_code == 400
    assert message in response.text
    assert Letter.objects.count() == 1


def test_saving_the_draft_changes_the_letter_and_is_audited(client, draft, owner):
    client.force_login(owner)

    response = client.post(
        "/organize/draft-letter/edit/",
        edit_data(draft, title="New title", body="Hello **world**", goal="500"),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.body, draft.goal) == ("New title", "Hello **world**", 500)
    event = AuditEvent.objects.get(action="letter.edited")
    assert event.actor == owner
    assert event.detail == {"fields": ["title", "body", "goal"]}


def test_preview_shows_sanitised_html_and_saves_nothing(client, draft, owner):
    client.force_login(owner)
    body = "Hello **world**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"

    response = client.post(
        "/organize/draft-letter/edit/", edit_data(draft, body=body, preview="1", save=None)
    )

    assert response.status_code == 200
    assert "<strong>world</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert 'href="javascript:' not in response.text
    draft.refresh_from_db()
    assert (
        draft.body
        == "We call for **evidence**.\n\n1. Published methods\n2. Independent replication\n"
    )
    assert not AuditEvent.objects.filter(action="letter.edited").exists()


def test_a_huge_body_is_refused_and_nothing_changes(client, draft, owner):
    client.force_login(owner)

    response = client.post(
        "/organize/draft-letter/edit/", edit_data(draft, body="x" * (MAX_BODY_CHARS + 1))
    )

    assert response.status_code == 400
    assert "The text is too long" in response.text
    assert Letter.objects.get(pk=draft.pk).body == draft.body


def test_editing_to_another_letters_address_is_refused(client, draft, owner):
    make_letter(slug="taken")
    client.force_login(owner)

    response = client.post("/organize/draft-letter/edit/", edit_data(draft, slug="taken"))

    assert response.status_code == 400
    assert "Another letter already has this address" in response.text
    assert Letter.objects.get(pk=draft.pk).slug == "draft-letter"


def test_editing_a_published_letter_leaves_the_public_page_alone(client):
    letter = make_letter(slug="ai-risk", title="Original title")
    owner = make_organizer(letter, "owner")
    client.force_login(owner)

    client.post(
        "/organize/ai-risk/edit/",
        edit_data(
            letter, title="Working title", body="Working text", slug="changed-slug", language="fr"
        ),
    )

    letter.refresh_from_db()
    assert (letter.title, letter.body, letter.slug, letter.language) == (
        "Working title",
        "Working text",
        "ai-risk",
        "en",
    )
    public = client.get("/letters/ai-risk/")
    assert "Original title" in public.text
    assert "Working text" not in public.text


def test_a_reviewer_cannot_edit_and_a_stranger_sees_nothing(client, draft):
    reviewer = make_organizer(draft, "reviewer")
    client.force_login(reviewer)
    assert client.get("/organize/draft-letter/edit/").status_code == 403

    client.force_login(make_user())
    assert client.get("/organize/draft-letter/edit/").status_code == 404


def test_preview_link_shows_the_draft_without_a_form(client, draft):
    response = client.get(f"/letters/draft-letter/preview/{draft.preview_token}/")

    assert response.status_code == 200
    assert "Draft preview" in response.text
    assert "<strong>evidence</strong>" in response.text
    assert 'action="/letters/draft-letter/sign/"' not in response.text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("token", ["wrong", "x" * 300, "%00"])
def test_preview_with_a_forged_token_is_not_found(client, draft, token):
    assert client.get(f"/letters/draft-letter/preview/{token}/").status_code == 404


def test_preview_of_an_unknown_letter_is_not_found(client, draft):
    response = client.get(f"/letters/nothing-here/preview/{draft.preview_token}/")

    assert response.status_code == 404


def test_regenerating_the_preview_link_revokes_the_old_one(client, draft, owner):
    old = draft.preview_token
    client.force_login(owner)

    response = client.post("/organize/draft-letter/preview-link/")

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.preview_token != old
    assert client.get(f"/letters/draft-letter/preview/{old}/").status_code == 404
    assert client.get(f"/letters/draft-letter/preview/{draft.preview_token}/").status_code == 200
    assert AuditEvent.objects.get().action == "letter.preview_link_regenerated"


def test_an_editor_cannot_regenerate_the_preview_link(client, draft):
    client.force_login(make_organizer(draft, "editor"))

    response = client.post("/organize/draft-letter/preview-link/")

    assert response.status_code == 403
    assert Letter.objects.get(pk=draft.pk).preview_token == draft.preview_token


def test_edit_page_lists_the_preview_link(client, draft, owner):
    client.force_login(owner)

    response = client.get("/organize/draft-letter/edit/")

    assert f"/letters/draft-letter/preview/{draft.preview_token}/" in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("goal", "0", "Ensure this value is greater than or equal to 1"),
        ("goal", "-5", "Ensure this value is greater than or equal to 1"),
        ("goal", "many", "Enter a whole number"),
        ("closes_at", "tomorrow-ish", "Enter a valid date/time"),
        ("language", "xx", "Select a valid choice"),
        ("min_public_level", "anyone", "Select a valid choice"),
        ("title", "", "This field is required"),
        ("title", "t" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_field_values_are_refused_clearly(client, draft, owner, field, value, message):
    client.force_login(owner)

    response = client.post("/organize/draft-letter/edit/", edit_data(draft, **{field: value}))

    assert response.status_code == 400
    assert message in response.text
    stored = Letter.objects.get(pk=draft.pk)
    assert (stored.title, stored.goal, stored.language) == (draft.title, None, "en")
