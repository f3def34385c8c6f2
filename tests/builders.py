"""Small builders for test data: real rows through the models' own methods."""

import itertools

from django.utils import timezone

from letters.models import Letter
from signatories.addresses import canonical_email
from signatories.models import CountDelta, Level, Organization, Signature

_counter = itertools.count(1)

LETTER_BODY = "We call for **evidence**.\n\n1. Published methods\n2. Independent replication\n"


def make_letter(
    *, title="Assess AI risk with science", slug=None, publish=True, body=LETTER_BODY, **fields
):
    letter = Letter.objects.create(
        title=title,
        slug=slug or f"letter-{next(_counter)}",
        summary="A short summary.",
        body=body,
        **fields,
    )
    if publish:
        letter.publish()
    return letter


def make_signature(letter, **fields):
    signature = build_signature(letter, **fields)
    signature.save(force_insert=True)
    # Counted as the site counts: a change appended with the row.
    CountDelta.record(letter.pk, None, signature.counted_level)
    return signature


def build_signature(letter, *, name=None, email=None, level=Level.CONFIRMED, public=True, **fields):
    """An unsaved signature on `letter`, with a fresh name and address unless given."""
    n = next(_counter)
    email = email or f"signer{n}@example.org"
    name = name or f"Signer Number{n}"
    confirmed_at = None if level == Level.PENDING else fields.pop("confirmed_at", timezone.now())
    return Signature(
        letter=letter,
        revision=letter.current_revision,
        **Signature.name_fields(name),
        email=email,
        email_canonical=canonical_email(email),
        affiliation=fields.pop("affiliation", "Example University"),
        role=fields.pop("role", "Researcher"),
        level=level,
        confirmed_at=confirmed_at,
        public=public,
        **fields,
    )


def make_organization(
    *, name="University of Queensland", ror_id="00rqy9422", aliases=(), domains=("uq.edu.au",)
):
    organization = Organization.objects.create(name=name, ror_id=ror_id, country_code="AU")
    organization.set_names(aliases)
    organization.set_domains(domains)
    return organization


def sign_data(**overrides):
    data = {
        "name": "Ada Quinn",
        "email": "ada.quinn@example.org",
        "affiliation": "Example University",
        "role": "Professor of Statistics",
        "comment": "",
        "public": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


ACCOUNT_PASSWORD = "a-long-test-passphrase-42"


def make_account(email=None, *, password=ACCOUNT_PASSWORD, verified=True, **fields):
    """A person with an account of ours: a user and the email address they log in with."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    email = email or f"person{next(_counter)}@example.org"
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def make_user(email=None, *, password=None, verified=True):
    """A person with an account whose email address allauth holds (no usable password unless
    one is given)."""
    return make_account(email, password=password, verified=verified)


def make_organizer(letter, role="owner", *, email=None, password=None):
    """A user who organizes `letter` in `role`."""
    from letters.models import Organizer

    user = make_user(email, password=password)
    Organizer.objects.create(letter=letter, user=user, role=role)
    return user


def make_revision(letter, body, note):
    """A new revision of the published `letter` with `body`, made by one of its editors."""
    Letter.objects.filter(pk=letter.pk).update(body=body)
    letter.refresh_from_db()
    return letter.revise(by=make_organizer(letter, "editor"), change_note=note)
