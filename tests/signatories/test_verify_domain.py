import pytest

from signatories.models import Level, Organization, Signature
from tests.builders import make_organization, sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def stanford(db):
    return make_organization(
        name="Stanford University", ror_id="00f54p054", domains=["stanford.edu"]
    )


def sign_and_confirm(letter, email, organization, name="Ada Quinn"):
    signature = Signature.sign(
        letter=letter,
        name=name,
        email=email,
        affiliation=organization.name if organization else "Somewhere",
        role="Professor",
        organization=organization,
    )
    signature.confirm()
    signature.refresh_from_db()
    return signature


@pytest.mark.parametrize(
    "email", ["ada@stanford.edu", "ada@cs.stanford.edu", "Ada@CS.Stanford.EDU"]
)
def test_institutional_address_verifies_the_claimed_organization(letter, stanford, email):
    signature = sign_and_confirm(letter, email, stanford)

    assert signature.level == Level.DOMAIN


@pytest.mark.parametrize(
    "email",
    [
        "ada@stanford.edu.example.com",
        "ada@stanf0rd.edu",
        "ada@stanford-edu.com",
        "ada@xn--stanfrd-2kh.edu",
        "ada@stаnford.edu",  # Cyrillic а
        "ada@alumni.stanford.edu",
        "ada@alum.stanford.edu",
        "ada@gmail.com",
        "ada@notstanford.edu",
    ],
)
def test_look_alike_shared_and_alumni_addresses_never_verify(letter, stanford, email):
    signature = sign_and_confirm(letter, email, stanford)

    assert signature.level == Level.CONFIRMED


def test_webmail_listed_as_an_organization_domain_never_verifies(letter):
    careless = make_organization(
        name="Careless Institute", ror_id="000000001", domains=["gmail.com"]
    )

    assert sign_and_confirm(letter, "ada@gmail.com", careless).level == Level.CONFIRMED


def test_inactive_registry_record_verifies_nothing(letter, stanford):
    stanford.status = Organization.Status.INACTIVE
    stanford.save()

    assert sign_and_confirm(letter, "ada@stanford.edu", stanford).level == Level.CONFIRMED


def test_an_organization_the_signer_did_not_claim_is_not_verified(letter, stanford):
    other = make_organization(name="Other University", ror_id="000000002", domains=["other.edu"])

    assert sign_and_confirm(letter, "ada@stanford.edu", other).level == Level.CONFIRMED
    assert (
        sign_and_confirm(letter, "bob@stanford.edu", None, name="Bob Ray").level == Level.CONFIRMED
    )


def test_badge_names_the_organization(client, letter, stanford):
    sign_and_confirm(letter, "ada@stanford.edu", stanford)

    response = client.get("/letters/ai-risk/signatories/")

    assert (
        '<span class="badge badge--domain">Institutional email · Stanford University</span>'
        in response.text
    )


def test_affiliation_text_selects_the_organization_when_signing(client, letter, stanford, settings):
    client.post(
        "/letters/ai-risk/sign/",
        {
            "name": "Ada Quinn",
            "email": "ada@stanford.edu",
            "affiliation": "stanford university",
            "role": "Professor",
            "public": "on",
        },
    )

    assert Signature.objects.get().organization == stanford


def sign_as_affiliated_with(client, affiliation):
    client.post("/letters/ai-risk/sign/", sign_data(affiliation=affiliation))
    return Signature.objects.get().organization


def test_an_alias_selects_its_organization_when_signing(client, letter):
    uq = make_organization(aliases=["UQ", "Queensland University"])

    assert sign_as_affiliated_with(client, "  uq ") == uq


def test_a_name_two_organizations_share_selects_neither(client, letter):
    # A name that is also the other organization's alias: ambiguous, so no organization is
    # claimed for the signer (they can still pick one from the suggestions).
    make_organization(name="Institute of Science", ror_id="00aaaaa01", aliases=["IoS"])
    make_organization(name="Other Institute", ror_id="00aaaaa02", aliases=["Institute of Science"])

    assert sign_as_affiliated_with(client, "Institute of Science") is None


def test_ror_id_from_the_autocomplete_selects_the_organization(client, letter, stanford):
    client.post(
        "/letters/ai-risk/sign/",
        {
            "name": "Ada Quinn",
            "email": "ada@stanford.edu",
            "affiliation": "Stanford",
            "role": "Professor",
            "organization": "https://ror.org/00f54p054",
        },
    )

    assert Signature.objects.get().organization == stanford
