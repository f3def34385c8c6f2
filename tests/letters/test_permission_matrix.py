"""Every page and action of the organizer workspace, tried by everyone who might try it.

The routes are read from letters.organize_urls at collection time, so a view added later by
anyone is covered without editing this file: it must carry `organizer_power` (set by
`organizer_required`) or be named in UNGUARDED, and its URL arguments must be ones
`url_kwargs` knows how to fill.
"""

import re
import uuid

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

from letters import organize_urls
from letters.models import Invitation
from letters.permissions import POWERS
from signatories.models import Review
from tests.builders import make_letter, make_organizer, make_signature, make_user

# Workspace views that are deliberately not tied to one letter's roles. Keep this short: each
# entry is a page any signed-in person may open.
UNGUARDED = {"my_letters", "new", "accept_invitation"}
ROLES = ["owner", "editor", "reviewer"]
ACTORS = ["anonymous", "stranger"] + [f"{role}_elsewhere" for role in ROLES] + ROLES
# Sent with every POST: what the workspace's forms ask for, so that an allowed role's POST
# really acts and a refused one really would have.
POST_DATA = {
    "reason": "Permission matrix",
    "decision": "approve",
    "notable": "on",
    "daily_digest": "on",
    "role": "editor",
    "email": "matrix@example.org",
}
REFUSED = {403, 404}
# The power each known route must declare, so a guard loosened by mistake fails here. Routes
# added later and not listed are still checked against the power they declare.
EXPECTED_POWERS = {
    "dashboard": "view_dashboard",
    "daily_digest": "view_dashboard",
    "review_queue": "review",
    "decide": "review",
    "flag": "review",
    "notable": "review",
    "signatures": "moderate",
    "hide": "moderate",
    "restore": "moderate",
    "export_csv": "export",
    "export_json": "export",
    "audit_log": "view_audit",
}


def walk(patterns, namespace="organize", converters=None, route=""):
    """(reverse name, pattern, {kwarg: converter}, route) for every route, through include()."""
    for entry in patterns:
        found = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        full_route = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner, found, full_route)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}:{entry.name}", entry, found, full_route


ROUTES = list(walk(organize_urls.urlpatterns))
GUARDED = [route for route in ROUTES if route[0].split(":")[-1] not in UNGUARDED]


def subject_of(kwarg, route):
    """What an argument names: its own name ("signature_id"), or for a bare "pk" or "id" the
    path segment before it ("organizers/<int:pk>/" names an organizer)."""
    key = kwarg.lower()
    if key not in ("pk", "id"):
        return key
    before = re.search(r"([\w-]+)/<(?:\w+:)?" + re.escape(kwarg) + ">", route)
    return before.group(1).lower() if before else "signature"


def url_for(name, converters, route, world):
    """The route's URL with every argument filled from the fixture letter's own rows, and
    whether each argument named a row the fixture holds (else it is a stand-in value)."""
    kwargs = {}
    known = True
    for kwarg, converter in converters.items():
        subject = subject_of(kwarg, route)
        if kwarg == "slug":
            value = world["letter"].slug
        elif "invitation" in subject:
            invitation = world["invitation"]
            value = invitation.pk if isinstance(converter, IntConverter) else invitation.token
        elif "organizer" in subject or "member" in subject:
            value = world["memberships"]["editor"].pk
        elif "revision" in subject:
            value = world["letter"].current_revision_id
        elif "signature" in subject:
            signature = world["signature"]
            value = signature.public_id if isinstance(converter, UUIDConverter) else signature.pk
        elif "token" in subject:
            value = world["invitation"].token
        elif "lang" in subject:
            value = "fr"
        else:
            # A row this file does not know how to make (a later feature's own model): the
            # guard is still tested, but an allowed role may meet a 404 for the missing row.
            known = False
            value = {IntConverter: 1, UUIDConverter: uuid.UUID(int=1)}.get(type(converter))
            value = value if value is not None else "matrix"
        kwargs[kwarg] = value
    try:
        return reverse(name, kwargs=kwargs), known
    except Exception as error:  # noqa: BLE001 — the message below names what to extend.
        pytest.fail(f"{name}: cannot build its URL from {kwargs}; teach url_for: {error}")


@pytest.fixture
def world(db, settings):
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = False
    letter = make_letter(slug="ai-risk")
    elsewhere = make_letter(slug="elsewhere")
    users = {role: make_organizer(letter, role) for role in ROLES}
    users |= {f"{role}_elsewhere": make_organizer(elsewhere, role) for role in ROLES}
    users["stranger"] = make_user()
    users["anonymous"] = None
    make_signature(letter, name="Counted Person")
    held = make_signature(letter, name="Held Person", review=Review.HELD, hold_reason="Look-alike")
    make_signature(elsewhere, name="Elsewhere Person")
    invitation = Invitation.objects.create(
        letter=letter, email="invitee@example.org", role="editor", invited_by=users["owner"]
    )
    return {
        "letter": letter,
        "users": users,
        "signature": held,
        "invitation": invitation,
        "memberships": {role: users[role].organizing.get() for role in ROLES},
    }


def snapshot():
    """Every row of the letters and signatories apps, to prove a refused request wrote nothing."""
    models = [
        *apps.get_app_config("letters").get_models(),
        *apps.get_app_config("signatories").get_models(),
    ]
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in models
        if not model._meta.proxy
    }


def test_every_workspace_view_declares_its_power():
    unguarded = [
        name for name, entry, _, _ in GUARDED if not hasattr(entry.callback, "organizer_power")
    ]
    assert unguarded == [], "Guard these with organizer_required(power), or list them in UNGUARDED."
    assert {entry.callback.organizer_power for _, entry, _, _ in GUARDED} <= set(POWERS)
    declared = {
        name.split(":")[-1]: entry.callback.organizer_power
        for name, entry, _, _ in GUARDED
        if name.split(":")[-1] in EXPECTED_POWERS
    }
    assert declared == EXPECTED_POWERS


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("name", "entry", "converters", "route"), GUARDED, ids=[r[0] for r in GUARDED]
)
def test_only_roles_holding_the_power_get_through(
    client, world, name, entry, converters, route, actor
):
    url, known = url_for(name, converters, route, world)
    power = entry.callback.organizer_power
    allowed = actor in ROLES and actor in POWERS[power]
    user = world["users"][actor]
    if user is not None:
        client.force_login(user)

    statuses = {}
    for method in ("get", "post"):
        before = snapshot()
        response = getattr(client, method)(url, POST_DATA if method == "post" else None)
        statuses[method] = response.status_code
        assert response.status_code < 500, f"{method.upper()} {url} as {actor}: server error"
        if allowed:
            # With a stand-in for a row the fixture lacks, only "not found" is to be expected.
            refused = REFUSED if known else {403}
            assert response.status_code not in refused, f"{actor} refused {power} at {url}"
            continue
        if response.status_code == 405:
            pass  # The method is refused before anyone is asked who they are; checked below.
        elif actor == "anonymous":
            assert response.status_code == 302, f"anonymous {method.upper()} {url}"
            assert response["Location"].startswith("/accounts/login/?next=")
        else:
            # A role of this letter without the power is told so; anyone else learns nothing.
            expected = 403 if actor in ROLES else 404
            assert response.status_code == expected, (
                f"{actor} ({method.upper()} {url}) got {response.status_code}; "
                f"only {sorted(POWERS[power])} hold {power}"
            )
        assert snapshot() == before, (
            f"{actor}'s refused {method.upper()} {url} changed the database"
        )

    # A 405 is an answer about the method, never about the person: the owner gets it too.
    owner = world["users"]["owner"]
    for method in [m for m, status in statuses.items() if status == 405]:
        client.force_login(owner)
        assert getattr(client, method)(url, POST_DATA).status_code == 405
    # Whoever holds the power gets through with at least one of the two methods.
    if allowed:
        # Past the guard, any answer will do (a 400 or 409 says the matrix's data did not suit
        # the action), but the view must accept one of the two methods.
        assert set(statuses.values()) != {405}


def test_walk_reaches_included_routes_with_their_converters():
    from django.urls import include, path

    def view(request):
        raise AssertionError

    inner = [path("<int:signature_id>/", view, name="inner")]
    patterns = [path("<slug:slug>/more/", include((inner, "more"), namespace="more"))]

    [(name, entry, converters, route)] = walk(patterns)

    assert name == "organize:more:inner"
    assert entry.callback is view
    assert sorted(converters) == ["signature_id", "slug"]
    assert route == "<slug:slug>/more/<int:signature_id>/"


@pytest.mark.parametrize(
    ("kwarg", "route", "subject"),
    [
        ("signature_id", "<slug:slug>/review/<int:signature_id>/decide/", "signature_id"),
        ("pk", "<slug:slug>/organizers/<int:pk>/role/", "organizers"),
        ("pk", "<slug:slug>/invitations/<int:pk>/revoke/", "invitations"),
        ("pk", "<slug:slug>/<int:pk>/", "signature"),
    ],
)
def test_bare_ids_are_read_from_the_segment_before_them(kwarg, route, subject):
    assert subject_of(kwarg, route) == subject


def test_every_argument_of_the_listed_routes_names_a_fixture_row(world):
    # Routes added later may carry ids of rows this file cannot make; they get stand-ins.
    listed = [route for route in GUARDED if route[0].split(":")[-1] in EXPECTED_POWERS]
    unknown = [name for name, _, conv, route in listed if not url_for(name, conv, route, world)[1]]

    assert len(listed) == len(EXPECTED_POWERS)
    assert unknown == []
