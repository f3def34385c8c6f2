"""Property-based fuzzing (hypothesis) of what strangers can send: the sign form, confirmation
links and the list and API parameters. Whatever arrives: no 5xx, and a request that is refused
changes nothing stored.

The API is also fuzzed from its OpenAPI document (tests/test_api_fuzz.py); here the HTML pages
and forms get the same treatment. A signer's manage link does not exist yet, so it is not here.
"""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from signatories.models import CountDelta, Level, Signature
from tests.builders import make_letter, make_organization, make_signature

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    # The letter and its signatures are made once per test, not per example: every example
    # is checked against a snapshot taken just before it, so they need not start afresh.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SIGN_FIELDS = [
    "name",
    "email",
    "affiliation",
    "role",
    "comment",
    "public",
    "organization",
    "evidence_url",
    "language",
    "csrfmiddlewaretoken",
]
LIST_PARAMETERS = ["q", "level", "cursor", "organization", "country", "version", "page"]

# Any Unicode a form can carry (lone surrogates cannot be encoded in a request at all),
# control characters and NUL included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
huge_text = st.builds(
    lambda unit, times: unit * times,
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=3),
    st.integers(min_value=200, max_value=50_000),
)
plausible = st.sampled_from(
    [
        "",
        "on",
        "Ada Lovelace",
        "ada@example.org",
        "https://ror.org/02bfwt286",
        "02bfwt286",
        "en",
        "fr",
        "confirmed",
        "pending",
        "FR",
        "https://example.org/me",
        "0",
        "-1",
        "99999999999999999999",
    ]
)
value = st.one_of(plausible, any_text, huge_text, st.emails())
# A field missing, given once, or given several times.
field_values = st.one_of(value, st.lists(value, min_size=2, max_size=3))


def form(fields):
    return st.dictionaries(st.sampled_from(fields) | any_text, field_values, max_size=len(fields))


VALID_SIGNATURE = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "affiliation": "Analytical Engines",
    "role": "Mathematician",
    "public": "on",
}
# A valid form with one or two fields replaced or removed: most of these reach the checks
# past "required", and some succeed.
nearly_valid_form = st.builds(
    lambda replaced, removed: {
        key: v for key, v in {**VALID_SIGNATURE, **replaced}.items() if key not in removed
    },
    st.dictionaries(st.sampled_from(SIGN_FIELDS), field_values, min_size=1, max_size=2),
    st.sets(st.sampled_from(list(VALID_SIGNATURE)), max_size=1),
)


def stored():
    """Everything a request could have changed about signatures and their counts."""
    return (
        list(Signature.objects.order_by("pk").values()),
        list(CountDelta.objects.order_by("pk").values()),
    )


@pytest.fixture
def open_letter(db):
    letter = make_letter(slug="ai-risk")
    organization = make_organization()
    make_signature(letter, name="Alan Turing", organization=organization)
    make_signature(letter, name="Grace Hopper", level=Level.DOMAIN)
    make_signature(letter, name="Pending Person", level=Level.PENDING, emails_requested=1)
    return letter


@pytest.fixture
def visitor():
    return Client()


@EXAMPLES
@given(data=form(SIGN_FIELDS) | nearly_valid_form)
def test_sign_form_never_fails_and_a_refusal_stores_nothing(open_letter, visitor, data):
    before = stored()

    response = visitor.post(f"/letters/{open_letter.slug}/sign/", data)

    event(f"answered {response.status_code}")
    assert response.status_code < 500
    if response.status_code != 303:
        assert 400 <= response.status_code < 500
        assert stored() == before


@EXAMPLES
@given(token=any_text | huge_text, method=st.sampled_from(["get", "post"]))
def test_confirmation_link_with_any_token_never_fails_or_confirms(
    open_letter, visitor, token, method
):
    before = stored()
    # Tokens arrive in the path; the client sends them percent-encoded, as a browser would.
    path = f"/letters/{open_letter.slug}/confirm/{quote(token, safe='')}/"

    response = getattr(visitor, method)(path)

    assert response.status_code < 500
    assert stored() == before


@EXAMPLES
@given(
    query=form(LIST_PARAMETERS),
    url=st.sampled_from(
        [
            "/letters/ai-risk/signatories/",
            "/letters/ai-risk/signatories.csv",
            "/letters/ai-risk/signatories.json",
            "/letters/ai-risk/",
            "/api/v1/letters/ai-risk/signatories/",
            "/api/v1/letters/",
            "/organizations/",
        ]
    ),
)
def test_list_and_api_parameters_never_fail_or_change_anything(open_letter, visitor, query, url):
    before = stored()

    response = visitor.get(url, query)

    assert response.status_code < 500
    assert stored() == before
