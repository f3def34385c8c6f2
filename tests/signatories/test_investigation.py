"""Investigation: searching a letter's signatures, and hiding what a search finds in bulk."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from letters.models import AuditEvent
from signatories import investigation
from signatories.investigation import run_bulk
from signatories.models import BulkAction, Level, Signature
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db

URL = "/organize/ai-risk/investigate/"
HIDE = "/organize/ai-risk/investigate/hide/"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def owner(client, letter):
    user = make_organizer(letter, role="owner")
    client.force_login(user)
    return user


def found_names(response):
    return sorted(re.findall(r"<tr><td>[^<]*</td><td>([^<]+)</td>", response.text))


def found(response, key="found"):
    return int(re.search(rf'data-total="{key}">([\d,]+)<', response.text)[1].replace(",", ""))


def total(client):
    return client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("203.0.113.7", ["In A"]),
        ("203.0.113.0/24", ["In A", "In B"]),
        ("203.0.112.0/23", ["In A", "In B"]),
        ("203.0.0.0/16", ["Edge", "In A", "In B"]),
        ("2001:db8:1::/48", ["Six A", "Six B"]),
        ("2001:db8:1:0:0:0:0:1", ["Six A"]),
        ("2001:db8::/32", ["Six A", "Six B", "Six C"]),
        ("0.0.0.0/0", ["Edge", "In A", "In B", "Other"]),
    ],
)
def test_search_by_address_or_network(client, letter, owner, query, expected):
    make_signature(letter, name="In A", client_ip="203.0.113.7")
    make_signature(letter, name="In B", client_ip="203.0.113.255")
    make_signature(letter, name="Edge", client_ip="203.0.114.1")
    make_signature(letter, name="Other", client_ip="198.51.100.1")
    make_signature(letter, name="Six A", client_ip="2001:db8:1::1")
    make_signature(letter, name="Six B", client_ip="2001:db8:1:ffff::2")
    make_signature(letter, name="Six C", client_ip="2001:db8:2::1")
    make_signature(letter, name="No Address", client_ip=None)

    response = client.get(URL, {"address": query})

    assert response.status_code == 200
    assert found_names(response) == expected
    assert found(response) == len(expected)


def test_search_by_domain_includes_subdomains_and_not_look_alikes(client, letter, owner):
    make_signature(letter, name="Plain", email="a@spam.example")
    make_signature(letter, name="Sub", email="b@mail.spam.example")
    make_signature(letter, name="Look Alike", email="c@notspam.example")
    make_signature(letter, name="Elsewhere", email="spam.example@other.org")

    response = client.get(URL, {"domain": "@SPAM.example"})

    assert found_names(response) == ["Plain", "Sub"]
    assert "spam.example: 1" in response.text and "mail.spam.example: 1" in response.text


def test_search_by_name_and_time_window(client, letter, owner):
    make_signature(letter, name="Bot One", signed_at=T0 - timedelta(minutes=1))
    make_signature(letter, name="Bot Two", signed_at=T0)
    make_signature(letter, name="Bot Three", signed_at=T0 + timedelta(minutes=59))
    make_signature(letter, name="Bot Four", signed_at=T0 + timedelta(hours=1))
    make_signature(letter, name="Human", signed_at=T0 + timedelta(minutes=5))

    response = client.get(
        URL, {"name": "bot", "since": "2026-11-20T12:00", "until": "2026-11-20T13:00"}
    )

    assert found_names(response) == ["Bot Three", "Bot Two"]


def test_results_say_how_many_count(client, letter, owner):
    make_signature(letter, email="a@spam.example")
    make_signature(letter, email="b@spam.example", level=Level.PENDING)
    hidden = make_signature(letter, email="c@spam.example")
    hidden.hide(by=owner, reason="Spam")

    response = client.get(URL, {"domain": "spam.example"})

    assert (found(response), found(response, "counted"), found(response, "hidden")) == (3, 1, 1)
    assert found(response, "pending") == 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"address": "10.0.0.0/33"}, "Enter an IPv4 or IPv6 address"),
        ({"address": "not-an-address"}, "Enter an IPv4 or IPv6 address"),
        ({"address": "::/129"}, "Enter an IPv4 or IPv6 address"),
        ({"address": "1.2.3.4/-1"}, "Enter an IPv4 or IPv6 address"),
        ({"address": "1.2.3.4\x00"}, "Null characters are not allowed."),
        ({"domain": "not a domain"}, "Enter a domain such as example.org."),
        ({"domain": "a@b.org"}, "Enter a domain such as example.org."),
        ({"since": "2026-13-01T00:00"}, "Enter a valid date/time."),
        ({"until": "yesterday"}, "Enter a valid date/time."),
        ({"since": "2026-11-20T13:00", "until": "2026-11-20T12:00"}, "must be before its end"),
        ({"name": "bot\u202e"}, "Remove the invisible or control characters"),
    ],
)
def test_bad_searches_get_a_message_and_a_400(client, letter, owner, params, message):
    make_signature(letter, client_ip="10.0.0.1")

    response = client.get(URL, params)
    preview = client.get(HIDE, params)
    post = client.post(HIDE, {**params, "reason": "Flood"})

    assert response.status_code == 400
    assert message in response.text
    assert (preview.status_code, post.status_code) == (400, 400)
    assert not BulkAction.objects.exists()
    assert Signature.objects.filter(hidden_at__isnull=False).count() == 0


def test_an_editor_searches_without_addresses_and_may_not_use_them(client, letter):
    client.force_login(make_organizer(letter, role="editor"))
    make_signature(letter, name="Spammer", email="x@spam.example", client_ip="10.0.0.1")

    page = client.get(URL, {"domain": "spam.example"})
    by_address = client.get(URL, {"address": "10.0.0.1"})
    bulk_by_address = client.post(HIDE, {"address": "10.0.0.0/8", "reason": "Flood"})

    assert found_names(page) == ["Spammer"]
    assert "10.0.0.1" not in page.text
    assert 'name="address"' not in page.text
    assert (by_address.status_code, bulk_by_address.status_code) == (403, 403)
    assert not BulkAction.objects.exists()


@pytest.mark.parametrize("role, status", [("reviewer", 403), (None, 404)])
def test_reviewers_and_strangers_may_not_investigate(
    client, letter, django_user_model, role, status
):
    if role:
        user = make_organizer(letter, role=role)
    else:
        user = django_user_model.objects.create_user(username="stranger", password="x")
    client.force_login(user)

    assert client.get(URL, {"domain": "example.org"}).status_code == status
    assert client.post(HIDE, {"domain": "example.org", "reason": "x"}).status_code == status
    assert not BulkAction.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, letter):
    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_investigate_tab_shows_for_owners_and_editors_only(client, letter):
    client.force_login(make_organizer(letter, role="owner"))
    assert f'href="{URL}"' in client.get("/organize/ai-risk/").text
    client.force_login(make_organizer(letter, role="reviewer"))
    assert f'href="{URL}"' not in client.get("/organize/ai-risk/").text


def test_preview_shows_what_will_be_touched_and_changes_nothing(client, letter, owner):
    make_signature(letter, email="a@spam.example")
    make_signature(letter, email="b@spam.example", level=Level.PENDING)
    already = make_signature(letter, email="c@spam.example")
    already.hide(by=owner, reason="Earlier")

    response = client.get(HIDE, {"domain": "spam.example"})

    assert response.status_code == 200
    assert "This will hide 2 signatures, 1 of them counted now" in response.text
    assert Signature.objects.filter(hidden_at__isnull=True).count() == 2
    assert not BulkAction.objects.exists()


def test_bulk_hide_needs_a_search_and_a_reason(client, letter, owner):
    make_signature(letter, email="a@spam.example")

    no_search = client.post(HIDE, {"reason": "Flood"})
    no_reason = client.post(HIDE, {"domain": "spam.example", "reason": "  "})

    assert no_search.status_code == 400
    assert "a bulk action needs at least one filter" in no_search.text
    assert no_reason.status_code == 400
    assert "This field is required." in no_reason.text
    assert not BulkAction.objects.exists()
    assert Signature.objects.get().hidden_at is None


def test_a_search_with_nothing_to_hide_starts_nothing(client, letter, owner):
    make_signature(letter, email="a@example.org", signed_at=T0)

    future = client.post(HIDE, {"since": "2099-01-01T00:00", "reason": "Flood"})
    nothing = client.post(HIDE, {"domain": "spam.example", "reason": "Flood"})

    assert (future.status_code, nothing.status_code) == (400, 400)
    assert "Nothing to hide" in nothing.text
    assert not BulkAction.objects.exists()


def test_bulk_hide_runs_corrects_counts_and_is_audited(client, letter, owner, immediate_on_commit):
    spam = [make_signature(letter, email=f"bot{n}@spam.example") for n in range(5)]
    make_signature(letter, email="bot@spam.example", level=Level.PENDING)
    keep = make_signature(letter, email="ada@example.org")
    other_letter = make_letter(slug="other")
    elsewhere = make_signature(other_letter, email="bot@spam.example")
    assert total(client) == 6

    response = client.post(HIDE, {"domain": "spam.example", "reason": "Scripted flood"})

    action = BulkAction.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/organize/ai-risk/investigate/bulk/{action.pk}/"
    assert (action.total, action.done, action.reason, action.by) == (6, 6, "Scripted flood", owner)
    assert action.finished_at is not None
    assert total(client) == 1
    for signature in spam:
        signature.refresh_from_db()
        assert (signature.hidden_reason, signature.hidden_by) == ("Scripted flood", owner)
    keep.refresh_from_db()
    elsewhere.refresh_from_db()
    assert keep.hidden_at is None and elsewhere.hidden_at is None
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "detail"))
    assert events[0][:2] == ("signatures.bulk_hide", owner.username)
    assert events[0][2]["reason"] == "Scripted flood"
    assert events[0][2]["total"] == 6
    assert events[0][2]["filters"]["domain"] == "spam.example"
    assert events[1] == ("signatures.bulk_hide_finished", "system", {"done": 6})
    progress = client.get(response["Location"])
    assert "Finished: 6 signatures hidden." in progress.text
    assert 'http-equiv="refresh"' not in progress.text


def test_running_a_bulk_action_twice_changes_nothing_more(
    client, letter, owner, immediate_on_commit
):
    for n in range(3):
        make_signature(letter, email=f"bot{n}@spam.example")
    client.post(HIDE, {"domain": "spam.example", "reason": "Flood"})
    action = BulkAction.objects.get()
    BulkAction.objects.filter(pk=action.pk).update(finished_at=None)

    run_bulk(action.pk)

    action.refresh_from_db()
    assert action.done == 3
    assert total(client) == 0


def test_bulk_hide_works_in_batches(client, letter, owner, immediate_on_commit, monkeypatch):
    monkeypatch.setattr(investigation, "BULK_BATCH", 2)
    for n in range(5):
        make_signature(letter, email=f"bot{n}@spam.example")

    client.post(HIDE, {"domain": "spam.example", "reason": "Flood"})

    assert BulkAction.objects.get().done == 5
    assert total(client) == 0


def test_signatures_arriving_after_the_preview_are_not_hidden(client, letter, owner):
    make_signature(letter, email="bot1@spam.example")
    client.post(HIDE, {"domain": "spam.example", "reason": "Flood"})
    action = BulkAction.objects.get()
    late = make_signature(
        letter, email="bot2@spam.example", signed_at=action.created_at + timedelta(seconds=5)
    )

    run_bulk(action.pk)

    late.refresh_from_db()
    assert late.hidden_at is None
    assert BulkAction.objects.get().done == 1


def test_progress_page_refreshes_while_running(client, letter, owner):
    make_signature(letter, email="bot1@spam.example")
    client.post(HIDE, {"domain": "spam.example", "reason": "Flood"})
    action = BulkAction.objects.get()

    page = client.get(f"/organize/ai-risk/investigate/bulk/{action.pk}/")

    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "0 of 1 hidden" in page.text


def test_a_bulk_action_of_another_letter_is_not_found(client, letter, owner):
    other = make_letter(slug="other")
    action = BulkAction.objects.create(letter=other, reason="x", filters={"name": "a"})

    assert client.get(f"/organize/ai-risk/investigate/bulk/{action.pk}/").status_code == 404


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite scans candidate rows")
def test_on_sqlite_a_network_too_large_to_scan_asks_for_a_narrower_one(
    client, letter, owner, monkeypatch
):
    monkeypatch.setattr(investigation, "SQLITE_NETWORK_SCAN_LIMIT", 2)
    for n in range(3):
        make_signature(letter, client_ip=f"10.0.0.{n + 1}")

    response = client.get(URL, {"address": "10.0.0.0/24"})

    assert response.status_code == 400
    assert "use a narrower one" in response.text
    assert found(client.get(URL, {"address": "10.0.0.2"})) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="inet operators are PostgreSQL's")
def test_on_postgresql_the_network_search_uses_the_inet_operator(client, letter, owner):
    make_signature(letter, name="Mapped", client_ip="::ffff:192.0.2.1")
    make_signature(letter, name="Four", client_ip="192.0.2.9")
    make_signature(letter, name="Six", client_ip="2001:db8::9")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"address": "192.0.2.0/24"})

    assert found_names(response) == ["Four"]
    assert any("<<=" in q["sql"] and "::inet" in q["sql"] for q in queries.captured_queries)


def test_search_page_queries_do_not_grow_with_rows(client, letter, owner):
    """The same number of queries for 1 and for 30 matching rows (no query per row)."""

    def search():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"domain": "spam.example", "address": "10.0.0.0/24"})
        return found(response), len(queries)

    make_signature(letter, email="bot0@spam.example", client_ip="10.0.0.1")
    one_row, queries_for_one = search()
    for n in range(1, 30):
        make_signature(letter, email=f"bot{n}@spam.example", client_ip=f"10.0.0.{n + 1}")
    thirty_rows, queries_for_thirty = search()

    assert (one_row, thirty_rows) == (1, 30)
    assert queries_for_one == queries_for_thirty
    # Session, user, letter, membership; four totals, two groups, the rows, recent actions
    # (and on SQLite, the candidate addresses).
    assert queries_for_one <= 13
