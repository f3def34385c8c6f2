"""Hostile input: what the signing form, the confirmation link and the public pages do with it.

Every rejected request must answer with a page a person can act on (never a 5xx), store
nothing and send nothing; everything a signer typed must come back escaped; no email address
may leak into a public page, export or API response.
"""

import base64
import csv
import io
import json
import re
import time
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from signatories.models import CONFIRM_SALT, Level, Signature
from tests.builders import make_letter, make_organization, make_signature, sign_data

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
REQUIRED = ["name", "email", "affiliation", "role"]
TEN_THOUSAND = 10_000


# Reading what a person sees ------------------------------------------------------------------


class SignFormReader(HTMLParser):
    """The sign form as a person meets it: errors by their fields, typed values, the summary."""

    def __init__(self):
        super().__init__()
        self.errors = {}  # field name -> the error text inside its label
        self.values = {}  # field name -> the value the form shows (a bool for checkboxes)
        self.summary = []  # the lines of the "Please correct the following" box
        self._label = None
        self._spans = []
        self._textarea = None
        self._in_summary = False
        self._item = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "label" and (attrs.get("for") or "").startswith("id_"):
            self._label = attrs["for"].removeprefix("id_")
        elif tag == "span":
            self._spans.append(classes)
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox":
                self.values[attrs["name"]] = "checked" in attrs
            else:
                self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "div" and "error-summary" in classes:
            self._in_summary = True
        elif tag == "li" and self._in_summary:
            self._item = []

    def handle_endtag(self, tag):
        if tag == "label" and self._label:
            if self._label in self.errors:
                self.errors[self._label] = " ".join(self.errors[self._label].split())
            self._label = None
        elif tag == "span" and self._spans:
            self._spans.pop()
        elif tag == "textarea" and self._textarea:
            # Django starts a textarea with a newline that browsers drop.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "div":
            self._in_summary = False
        elif tag == "li" and self._item is not None:
            self.summary.append(" ".join("".join(self._item).split()))
            self._item = None

    def handle_data(self, data):
        in_error = any("field__error" in classes for classes in self._spans)
        hidden = any("visually-hidden" in classes for classes in self._spans)
        if self._label and in_error and not hidden:
            self.errors[self._label] = self.errors.get(self._label, "") + data
        if self._textarea:
            self.values[self._textarea] += data
        if self._item is not None:
            self._item.append(data)


def read_form(response):
    reader = SignFormReader()
    reader.feed(response.content.decode())
    return reader


def body_of(response):
    """A response's body as bytes, streamed (the exports) or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def text_of(response):
    return body_of(response).decode()


def csv_records(response):
    """The CSV's rows as dicts keyed by its header."""
    return list(csv.DictReader(io.StringIO(text_of(response))))


def picked(record, keys):
    return {key: record[key] for key in keys}


def confirm_path(message):
    """The path of the one confirmation link in an email's text body."""
    (url,) = re.findall(r"https?://\S+/confirm/\S+/", message.body)
    return urlsplit(url).path


def sign_url(letter):
    return f"/letters/{letter.slug}/sign/"


def confirm_url(letter, token):
    return f"/letters/{letter.slug}/confirm/{token}/"


def assert_letter_page_rejects(response, letter, errors):
    """A 400 re-showing the letter with `errors` next to their fields; nothing stored or sent."""
    assert response.status_code == 400
    assert "letters/detail.html" in [template.name for template in response.templates]
    assert f'<h1 id="letter-title">{escape(letter.title)}</h1>' in response.content.decode()
    assert read_form(response).errors == errors
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def assert_bad_request_page(response):
    """Django refused the body before our view saw it: its 400 page; nothing stored or sent."""
    assert response.status_code == 400
    assert "We could not understand that request." in response.content.decode()
    assert Signature.objects.count() == 0
    assert mail.outbox == []


@pytest.fixture
def sign(client, letter, django_capture_on_commit_callbacks):
    """POST to the letter's sign URL and run the on_commit callbacks that send its email."""

    def post(data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(sign_url(letter), data, **kwargs)

    return post


@pytest.fixture
def pending(letter):
    return make_signature(letter, name="Ada Quinn", level=Level.PENDING)


def signed_long_ago(make_token, monkeypatch):
    """A token as `make_token` would have made it a day past the link's lifetime."""
    made_at = int(time.time()) - (settings.CONFIRMATION_MAX_AGE_DAYS + 1) * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(made_at)
        )
        return make_token()


def expired_token(signature, monkeypatch):
    return signed_long_ago(signature.confirmation_token, monkeypatch)


# Missing and oversized fields ----------------------------------------------------------------


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("value", [None, "", "   \t "], ids=["absent", "empty", "blank"])
def test_each_missing_required_field_is_named_and_the_rest_is_kept(sign, letter, field, value):
    data = sign_data(**{field: value})

    response = sign(data)

    assert_letter_page_rejects(response, letter, {field: "This field is required."})
    values = read_form(response).values
    assert {name: values[name] for name in REQUIRED if name != field} == {
        name: data[name] for name in REQUIRED if name != field
    }


def test_an_empty_post_names_every_required_field(sign, letter):
    response = sign({})

    assert_letter_page_rejects(
        response, letter, {field: "This field is required." for field in REQUIRED}
    )
    page = read_form(response)
    assert page.summary == [
        "Full name: This field is required.",
        "Email: This field is required.",
        "Affiliation: This field is required.",
        "Role: This field is required.",
    ]


LONG_VALUES = {
    "name": (
        "a" * TEN_THOUSAND,
        "Ensure this value has at most 200 characters (it has 10000).",
    ),
    "email": (
        "a" * (TEN_THOUSAND - len("@example.org")) + "@example.org",
        "Enter a valid email address. Ensure this value has at most 254 characters (it has 10000).",
    ),
    "affiliation": (
        "a" * TEN_THOUSAND,
        "Ensure this value has at most 200 characters (it has 10000).",
    ),
    "role": ("a" * TEN_THOUSAND, "Ensure this value has at most 200 characters (it has 10000)."),
    "comment": (
        "a" * TEN_THOUSAND,
        "Ensure this value has at most 1000 characters (it has 10000).",
    ),
    "evidence_url": (
        "https://example.org/" + "a" * (TEN_THOUSAND - len("https://example.org/")),
        "Enter a valid URL. Ensure this value has at most 500 characters (it has 10000).",
    ),
}


@pytest.mark.parametrize("field", LONG_VALUES)
def test_a_ten_thousand_character_value_is_refused_next_to_its_field(sign, letter, field):
    value, error = LONG_VALUES[field]

    response = sign(sign_data(**{field: value}))

    assert_letter_page_rejects(response, letter, {field: error})


def test_ten_thousand_characters_in_every_field_refuses_each_field(sign, letter):
    data = {field: value for field, (value, _) in LONG_VALUES.items()}
    data |= {"organization": "0" * TEN_THOUSAND, "public": "on" * (TEN_THOUSAND // 2)}

    response = sign(data)

    assert_letter_page_rejects(
        response, letter, {field: error for field, (_, error) in LONG_VALUES.items()}
    )
    assert (
        "Organization: Ensure this value has at most 100 characters (it has 10000)."
        in read_form(response).summary
    )


@pytest.mark.parametrize("field", ["name", "affiliation", "role"])
@pytest.mark.parametrize(
    "character",
    # Each is one code point that NFC turns into two or three.
    ["\u0958", "\ufb2c"],
    ids=["devanagari-qa", "hebrew-shin-dagesh-shin-dot"],
)
def test_a_value_that_grows_past_the_limit_when_normalised_is_refused(
    sign, letter, field, character
):
    value = character * 200

    response = sign(sign_data(**{field: value}))

    normalised_length = len(value) * (2 if character == "\u0958" else 3)
    assert_letter_page_rejects(
        response,
        letter,
        {field: f"Ensure this value has at most 200 characters (it has {normalised_length})."},
    )


# Invalid values ------------------------------------------------------------------------------


INVALID_EMAILS = {
    "no-at": "ada.quinn.example.org",
    "space": "ada quinn@example.org",
    "two-ats": "ada@quinn@example.org",
    "double-at": "ada@@example.org",
    "no-domain": "ada.quinn@",
    "no-local-part": "@example.org",
    "no-tld": "ada@example",
    "header-injection": "ada@example.org\r\nBcc: victim@example.com",
    "300-characters": "a" * (300 - len("@example.org")) + "@example.org",
    "fullwidth-at": "ada\uff20example.org",
    "zero-width-space-in-local-part": "ada\u200bquinn@example.org",
    "accented-local-part": "ad\u00e0@example.org",
}


@pytest.mark.parametrize("email", INVALID_EMAILS.values(), ids=INVALID_EMAILS.keys())
def test_an_invalid_email_is_refused_and_kept_for_correction(sign, letter, email):
    response = sign(sign_data(email=email))

    expected = (
        "Ensure this value has at most 254 characters (it has 300)."
        if len(email) == 300
        else "Enter a valid email address."
    )
    assert_letter_page_rejects(response, letter, {"email": expected})
    assert read_form(response).values["email"] == email.strip()


def scattered_cjk(length):
    """CJK characters far apart in the code space, so each costs about three punycode letters."""
    return "".join(chr(0x4E00 + 397 * n) for n in range(length))


# Django's EmailValidator lets any character from U+00A1 up into the domain, so these pass it.
UNICODE_TRICK_EMAILS = {
    "zero-width-space": "ada@exa\u200bmple.org",
    "right-to-left-override": "ada@evil\u202egro.com",
    "byte-order-mark": "ada@\ufeffexample.org",
    "soft-hyphen": "ada@exam\u00adple.org",
    "ideographic-space": "ada@exam\u3000ple.org",
    "replacement-character": "ada@example.org\ufffd",
    # 20 such characters make a 64-letter punycode label: no mail can be sent to it.
    "idna-label-longer-than-63": f"ada@{scattered_cjk(20)}.org",
    # 87 characters as typed; 259 once the domain is punycode, too long for email_canonical.
    "idna-longer-than-the-column": "ada@" + ".".join([scattered_cjk(19)] * 4) + ".org",
}


@pytest.mark.parametrize("email", UNICODE_TRICK_EMAILS.values(), ids=UNICODE_TRICK_EMAILS.keys())
def test_an_email_with_a_unicode_trick_is_refused(sign, letter, email):
    response = sign(sign_data(email=email))

    assert_letter_page_rejects(response, letter, {"email": "Enter a valid email address."})


CONTROL_CHARACTERS = {
    "nul": "\x00",
    "bell": "\x07",
    "escape": "\x1b",
    "delete": "\x7f",
    "next-line": "\x85",
}
PLACED = {
    "name": "Ada{}Quinn",
    "email": "ada{}quinn@example.org",
    "affiliation": "Example{}University",
    "role": "Professor{}of Statistics",
    "comment": "I{}agree",
}
CONTROL_ERRORS = {
    "name": "Remove the invisible or control characters from this field.",
    "email": "Enter a valid email address.",
    "affiliation": "Remove the invisible or control characters from this field.",
    "role": "Remove the invisible or control characters from this field.",
    "comment": "Remove the control characters from your comment.",
}
NUL_ERRORS = {
    "name": "Null characters are not allowed.",
    "email": "Enter a valid email address. Null characters are not allowed.",
    "affiliation": "Null characters are not allowed.",
    "role": "Null characters are not allowed.",
    "comment": "Null characters are not allowed.",
}


@pytest.mark.parametrize("field", PLACED)
@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
def test_a_control_character_in_a_field_is_refused(sign, letter, field, character):
    response = sign(sign_data(**{field: PLACED[field].format(character)}))

    errors = NUL_ERRORS if character == "\x00" else CONTROL_ERRORS
    assert_letter_page_rejects(response, letter, {field: errors[field]})


@pytest.mark.parametrize("field", ["name", "affiliation", "role"])
@pytest.mark.parametrize(
    "character",
    ["\u202e", "\u200b", "\ufeff", "\ue000"],
    ids=["right-to-left-override", "zero-width-space", "byte-order-mark", "private-use"],
)
def test_an_invisible_character_in_a_shown_field_is_refused(sign, letter, field, character):
    response = sign(sign_data(**{field: PLACED[field].format(character)}))

    assert_letter_page_rejects(
        response, letter, {field: "Remove the invisible or control characters from this field."}
    )


@pytest.mark.parametrize(
    "url, error",
    [
        ("https://example.org/a\x00b", "Null characters are not allowed."),
        ("javascript:alert(1)", "Enter a valid URL."),
        ("data:text/html,<script>alert(1)</script>", "Enter a valid URL."),
        ("https://example.org/a b", "Enter a valid URL."),
        ("https://exa mple.org/", "Enter a valid URL."),
        ("https://example.org/a\x85b", "Enter a valid URL."),
    ],
    ids=["nul", "javascript", "data", "space", "space-in-host", "next-line"],
)
def test_an_evidence_url_that_is_not_a_plain_web_link_is_refused(sign, letter, url, error):
    response = sign(sign_data(evidence_url=url))

    assert_letter_page_rejects(response, letter, {"evidence_url": error})


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a\x07b",
        "https://example.org/a\x1bb",
        "https://example.org/a\x7fb",
        "https://exa\u200bmple.org/staff",
        "https://example.org/\u202estaff",
    ],
    ids=["bell", "escape", "delete", "zero-width-space-in-host", "right-to-left-override"],
)
def test_an_evidence_url_with_a_control_or_invisible_character_is_refused(sign, letter, url):
    response = sign(sign_data(evidence_url=url))

    assert_letter_page_rejects(response, letter, {"evidence_url": "Enter a valid URL."})


@pytest.mark.parametrize(
    "name", ["!!!", "...", "- -", "'\"", "()[]{}", "12345", "_", "\U0001f600", "\u0301\u0301"]
)
def test_a_name_without_letters_is_refused_and_kept(sign, letter, name):
    response = sign(sign_data(name=name))

    assert_letter_page_rejects(response, letter, {"name": "Enter your name using letters."})
    assert read_form(response).values["name"] == name


# Odd encodings and bodies --------------------------------------------------------------------


def urlencoded(**overrides):
    return urlencode(sign_data(**overrides))


def test_a_latin_1_body_is_read_as_latin_1(sign):
    body = urlencoded(name="NAME", affiliation="AFFILIATION").encode()
    body = body.replace(b"NAME", "Ren\u00e9 Dupont".encode("latin-1"))
    body = body.replace(b"AFFILIATION", "Universit\u00e9 de Lyon".encode("latin-1"))

    response = sign(body, content_type=FORM)

    assert response.status_code == 303
    assert list(Signature.objects.values_list("name", "affiliation")) == [
        ("Ren\u00e9 Dupont", "Universit\u00e9 de Lyon")
    ]
    assert [message.to for message in mail.outbox] == [["ada.quinn@example.org"]]


def test_a_declared_charset_other_than_utf_8_is_a_bad_request(sign):
    body = urlencode(sign_data(name="Ren\u00e9 Dupont"), encoding="latin-1")

    response = sign(body.encode(), content_type=f"{FORM}; charset=iso-8859-1")

    assert_bad_request_page(response)


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\xfd\x80\x81garbage\xc3", b"\xc3\x28=\xa0\xa1&\xe2\x82=\xf0\x28\x8c\x28"],
    ids=["bytes", "pairs"],
)
def test_a_body_of_invalid_utf_8_names_every_required_field(sign, letter, body):
    response = sign(body, content_type=FORM)

    assert_letter_page_rejects(
        response, letter, {field: "This field is required." for field in REQUIRED}
    )


@pytest.mark.parametrize(
    "field, typed",
    [
        ("name", "Ren%E9 Dupont"),
        ("affiliation", "Universit%E9 de Lyon"),
        ("role", "Ma%EEtre"),
        ("name", "Ada %ED%A0%80 Quinn"),
    ],
    ids=["latin-1-name", "latin-1-affiliation", "latin-1-role", "encoded-surrogate-name"],
)
def test_percent_encoded_bytes_that_are_not_utf_8_are_refused(sign, letter, field, typed):
    body = urlencoded(**{field: "PLACEHOLDER"}).replace("PLACEHOLDER", typed.replace(" ", "+"))

    response = sign(body, content_type=FORM)

    assert_letter_page_rejects(
        response, letter, {field: "Some characters did not arrive intact; type them again."}
    )


@pytest.mark.parametrize("field", REQUIRED)
def test_a_file_sent_in_a_text_field_is_not_taken_as_its_value(sign, letter, field):
    data = sign_data(**{field: SimpleUploadedFile("evil.html", b"<script>alert(1)</script>")})

    response = sign(data)

    assert_letter_page_rejects(response, letter, {field: "This field is required."})


def test_a_json_body_names_every_required_field(sign, letter):
    response = sign(json.dumps(sign_data()), content_type="application/json")

    assert_letter_page_rejects(
        response, letter, {field: "This field is required." for field in REQUIRED}
    )


def test_multipart_without_a_boundary_is_a_bad_request(sign):
    response = sign(b"name=Ada", content_type="multipart/form-data")

    assert_bad_request_page(response)


def test_more_fields_than_django_reads_is_a_bad_request(sign):
    extra = "&".join(f"extra{n}=x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))

    response = sign(f"{urlencoded()}&{extra}", content_type=FORM)

    assert_bad_request_page(response)


def test_a_body_larger_than_django_reads_is_a_bad_request(sign):
    comment = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = sign(urlencoded(comment=comment), content_type=FORM)

    assert_bad_request_page(response)


def test_a_repeated_field_takes_its_last_value(sign):
    body = urlencoded() + "&name=Grace+Hopper&email=grace%40example.org"

    response = sign(body, content_type=FORM)

    assert response.status_code == 303
    assert list(Signature.objects.values_list("name", "email")) == [
        ("Grace Hopper", "grace@example.org")
    ]
    assert [message.to for message in mail.outbox] == [["grace@example.org"]]


# The "list my name" checkbox: only a clear yes publishes a name. ------------------------------

PUBLIC_VALUES_MEANING_YES = ["on", "ON", "true", "1", "yes"]
PUBLIC_VALUES_MEANING_NO = [None, "", "false", "FALSE"]
# Django's CheckboxInput takes any value but "false" as ticked.
PUBLIC_VALUES_PUBLISHED_TODAY = ["off", "0", "no", "null", "\x00", "x" * TEN_THOUSAND]


@pytest.mark.parametrize(
    "value, listed",
    [(value, True) for value in PUBLIC_VALUES_MEANING_YES]
    + [(value, False) for value in PUBLIC_VALUES_MEANING_NO]
    + [pytest.param(value, False) for value in PUBLIC_VALUES_PUBLISHED_TODAY],
    ids=lambda value: repr(value)[:12] if not isinstance(value, bool) else None,
)
def test_the_public_checkbox_lists_a_name_only_on_a_clear_yes(sign, value, listed):
    response = sign(sign_data(public=value))

    assert response.status_code == 303
    assert list(Signature.objects.values_list("public", flat=True)) == [listed]
    assert len(mail.outbox) == 1


# The organization field ----------------------------------------------------------------------

ORGANIZATION_ERROR = (
    "Organization: Choose your organization from the suggestions, or leave it empty."
)


@pytest.mark.parametrize(
    "organization",
    [
        "0000000zz",
        "00RQY9422",
        "https://ror.org/0000000zz",
        "https://ror.org/",
        "not a ror id",
        "../../../",
        "00rqy9422'; DROP TABLE signatories_signature; --",
        "<script>",
        "\u0660\u0660rqy9422",
    ],
)
def test_an_unknown_organization_is_refused_with_a_message(sign, letter, organization):
    make_organization()

    response = sign(sign_data(organization=organization))

    assert_letter_page_rejects(response, letter, {})
    assert read_form(response).summary == [ORGANIZATION_ERROR]


@pytest.mark.parametrize(
    "organization, error",
    [
        ("00rq\x009422", "Organization: Null characters are not allowed."),
        (
            "x" * TEN_THOUSAND,
            "Organization: Ensure this value has at most 100 characters (it has 10000).",
        ),
    ],
    ids=["nul", "ten-thousand"],
)
def test_an_unreadable_organization_is_refused_with_a_message(sign, letter, organization, error):
    response = sign(sign_data(organization=organization))

    assert_letter_page_rejects(response, letter, {})
    assert read_form(response).summary == [error]


@pytest.mark.parametrize("organization", ["00rqy9422", " https://ror.org/00rqy9422/ "])
def test_a_known_ror_id_selects_its_organization(sign, organization):
    queensland = make_organization()

    response = sign(sign_data(affiliation="UQ Brisbane", organization=organization))

    assert response.status_code == 303
    assert Signature.objects.get().organization == queensland


@pytest.mark.parametrize(
    "affiliation", ["University of Queensland", "UNIVERSITY OF QUEENSLAND", "uq", "u  q"]
)
def test_an_affiliation_equal_to_one_name_or_alias_selects_it(sign, affiliation):
    queensland = make_organization(aliases=["UQ", "U Q"])

    response = sign(sign_data(affiliation=affiliation))

    assert response.status_code == 303
    assert Signature.objects.get().organization == queensland


def test_an_alias_two_organizations_share_selects_neither(sign):
    make_organization(aliases=["UQ"])
    make_organization(name="Universidad de Quito", ror_id="01abcde23", aliases=["uq"])

    response = sign(sign_data(affiliation="UQ"))

    assert response.status_code == 303
    assert Signature.objects.get().organization is None


@pytest.mark.parametrize(
    "affiliation", ["University of Queensland Press", "Queensland", "%", "University of %"]
)
def test_an_affiliation_that_only_resembles_a_name_selects_none(sign, affiliation):
    make_organization()

    response = sign(sign_data(affiliation=affiliation))

    assert response.status_code == 303
    assert Signature.objects.get().organization is None


# Markup comes back escaped -------------------------------------------------------------------

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><b>bold</b>",
]


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_on_the_refused_form_comes_back_escaped(sign, letter, markup):
    data = sign_data(
        name=f"Ada {markup}",
        email="not-an-email",
        affiliation=markup,
        role=markup,
        comment=markup,
        organization=markup,
        evidence_url=markup,
    )

    response = sign(data)

    content = response.content.decode()
    assert response.status_code == 400
    assert markup not in content
    assert escape(markup) in content
    assert {field: read_form(response).values[field] for field in data if field != "public"} == {
        field: value for field, value in data.items() if field != "public"
    }


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_signed_and_confirmed_comes_back_escaped_everywhere(client, sign, letter, markup):
    name, affiliation, role = f"Ada {markup}", f"Lab {markup}", f"Role {markup}"
    sign(sign_data(name=name, affiliation=affiliation, role=role))
    (message,) = mail.outbox
    link = confirm_path(message)

    pages = {
        "confirm": client.get(link),
        "thank you": client.post(link),
        "letter": client.get(f"/letters/{letter.slug}/"),
        "list": client.get(f"/letters/{letter.slug}/signatories/"),
        "search": client.get(f"/letters/{letter.slug}/signatories/", {"q": markup}),
    }

    assert {page: response.status_code for page, response in pages.items()} == dict.fromkeys(
        pages, 200
    )
    shown = {
        "email html": (message.alternatives[0].content, [name]),
        "confirm": (pages["confirm"].content.decode(), [name, affiliation, role]),
        "thank you": (pages["thank you"].content.decode(), []),
        "letter": (pages["letter"].content.decode(), [name, affiliation]),
        "list": (pages["list"].content.decode(), [name, affiliation, role]),
        "search": (pages["search"].content.decode(), [name, affiliation, role, markup]),
    }
    for page, (content, values) in shown.items():
        assert markup not in content, page
        assert [value for value in values if escape(value) not in content] == [], page
    # The text part of the email is plain text: it shows the name as typed.
    assert f"Hello {name}," in message.body


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_the_exports_and_api_is_data_not_markup(client, letter, markup):
    name, affiliation, role = f"Ada {markup}", f"Lab {markup}", f"Role {markup}"
    make_signature(letter, name=name, affiliation=affiliation, role=role)
    slug = letter.slug

    csv_export = client.get(f"/letters/{slug}/signatories.csv")
    json_export = client.get(f"/letters/{slug}/signatories.json")
    api_list = client.get(f"/api/v1/letters/{slug}/signatories/")
    letter_apis = [client.get("/api/v1/letters/"), client.get(f"/api/v1/letters/{slug}/")]

    # Exports and the API are never rendered as pages: typed, downloads, and not to be sniffed.
    assert [csv_export["Content-Type"], json_export["Content-Type"], api_list["Content-Type"]] == [
        "text/csv; charset=utf-8",
        "application/json; charset=utf-8",
        "application/json",
    ]
    assert [csv_export["Content-Disposition"], json_export["Content-Disposition"]] == [
        f'attachment; filename="{slug}-signatories.csv"',
        f'attachment; filename="{slug}-signatories.json"',
    ]
    for response in [csv_export, json_export, api_list, *letter_apis]:
        assert response["X-Content-Type-Options"] == "nosniff"
    (exported_row,) = csv_records(csv_export)
    assert picked(exported_row, ["name", "affiliation", "role"]) == {
        "name": name,
        "affiliation": affiliation,
        "role": role,
    }
    (exported,) = json.loads(text_of(json_export))["signatories"]
    assert [exported["name"], exported["affiliation"], exported["role"]] == [
        name,
        affiliation,
        role,
    ]
    (listed,) = api_list.json()["results"]
    assert [listed["name"], listed["affiliation"], listed["role"]] == [name, affiliation, role]
    for response in letter_apis:
        assert markup not in response.content.decode()


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_the_already_signed_email_is_escaped(sign, letter, markup):
    make_signature(letter, name=f"Ada {markup}", email="ada.quinn@example.org")

    sign(sign_data())

    (message,) = mail.outbox
    assert message.subject == f"You have already signed “{letter.title}”"
    assert markup not in message.alternatives[0].content
    assert escape(f"Ada {markup}") in message.alternatives[0].content


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_a_list_query_comes_back_escaped(client, letter, markup):
    search = client.get(f"/letters/{letter.slug}/signatories/", {"q": markup})
    level = client.get(f"/letters/{letter.slug}/signatories/", {"level": markup})

    assert [search.status_code, level.status_code] == [200, 400]
    for page in [search, level]:
        assert markup not in page.content.decode()
        assert escape(markup) in page.content.decode()


# Email addresses are never public ------------------------------------------------------------

SIGNERS = [
    ("Grace Hopper", "Grace.Hopper@Navy.Example", True),
    ("Ada Quinn", "ADA.QUINN.1815@EXAMPLE.ORG", True),
    ("Alan Quiet", "alan.private@example.net", False),
]


def test_no_email_address_appears_in_any_public_page_export_or_api(client, sign, letter):
    for name, email, public in SIGNERS:
        sign(sign_data(name=name, email=email, public="on" if public else None))
        client.post(confirm_path(mail.outbox[-1]))
    sign(sign_data(name="Never Confirmed", email="never.confirmed@example.com"))
    addresses = [email for _, email, _ in SIGNERS] + ["never.confirmed@example.com"]
    slug = letter.slug
    urls = [
        "/",
        "/feed/",
        "/how-we-verify/",
        f"/letters/{slug}/",
        f"/letters/{slug}/signatories/",
        f"/letters/{slug}/signatories/?level=confirmed",
        f"/letters/{slug}/signatories/?q=Grace",
        f"/letters/{slug}/signatories.csv",
        f"/letters/{slug}/signatories.json",
        f"/letters/{slug}/check-email/",
        f"/letters/{slug}/feed/",
        f"/letters/{slug}/embed/",
        f"/letters/{slug}/badge.svg",
        f"/letters/{slug}/card.png",
        "/api/v1/letters/",
        f"/api/v1/letters/{slug}/",
        f"/api/v1/letters/{slug}/count",
        f"/api/v1/letters/{slug}/signatories/",
        "/api/v1/openapi.json",
    ]

    pages = {url: client.get(url) for url in urls}

    assert Signature.objects.counted().count() == 3
    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(urls, 200)
    for url, page in pages.items():
        content = body_of(page).decode(errors="replace").casefold()
        for address in addresses:
            assert address.casefold() not in content, (url, address)
            assert address.split("@")[0].casefold() not in content, (url, address)
    listed_names = [
        row["name"] for row in pages[f"/api/v1/letters/{slug}/signatories/"].json()["results"]
    ]
    assert sorted(listed_names) == ["Ada Quinn", "Grace Hopper"]


@pytest.mark.parametrize("query", ["grace.hopper@navy.example", "navy.example", "@"])
def test_searching_by_email_address_finds_no_one(client, letter, query):
    make_signature(letter, name="Grace Hopper", email="grace.hopper@navy.example")

    page = client.get(f"/letters/{letter.slug}/signatories/", {"q": query})
    api = client.get(f"/api/v1/letters/{letter.slug}/signatories/", {"q": query})

    assert [page.status_code, api.status_code] == [200, 200]
    assert "No signatories match these filters." in page.content.decode()
    assert "Grace Hopper" not in page.content.decode()
    assert api.json() == {"results": [], "next": None}


# Spreadsheet formulas in the CSV -------------------------------------------------------------

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("column", ["name", "affiliation", "role", "organization"])
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=repr)
def test_a_cell_a_spreadsheet_would_run_is_quoted(client, letter, column, prefix):
    formula = f'{prefix}HYPERLINK("http://x","y")'
    cells = {
        "name": "Ada Quinn",
        "affiliation": "Example University",
        "role": "Professor",
        "organization": "University of Queensland",
    } | {column: formula}
    # Organization names come from the registry's data, not from the signer.
    organization = make_organization(name=cells.pop("organization"))
    make_signature(letter, organization=organization, **cells)

    response = client.get(f"/letters/{letter.slug}/signatories.csv")

    (row,) = csv_records(response)
    assert picked(row, ["name", "affiliation", "role", "organization"]) == {
        "name": "Ada Quinn",
        "affiliation": "Example University",
        "role": "Professor",
        "organization": "University of Queensland",
    } | {column: "'" + formula}


def test_a_formula_typed_into_the_form_is_quoted_in_the_export(client, sign, letter):
    sign(
        sign_data(
            name='=HYPERLINK("http://x","y")', affiliation="+SUM(1,2)", role="@cmd|' /C calc'!A0"
        )
    )
    client.post(confirm_path(mail.outbox[0]))

    response = client.get(f"/letters/{letter.slug}/signatories.csv")

    (row,) = csv_records(response)
    assert picked(row, ["name", "affiliation", "role", "level"]) == {
        "name": '\'=HYPERLINK("http://x","y")',
        "affiliation": "'+SUM(1,2)",
        "role": "'@cmd|' /C calc'!A0",
        "level": "confirmed",
    }


# CSRF ----------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def csrf_token(client, path):
    return read_form(client.get(path)).values["csrfmiddlewaretoken"]


def test_signing_without_the_csrf_token_is_refused(csrf_client, letter):
    response = csrf_client.post(sign_url(letter), sign_data())

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert Signature.objects.count() == 0


def test_signing_with_the_csrf_token_is_accepted(csrf_client, letter, pending):
    # The letter page is shared by every reader and carries no token (browsers vouch with
    # Sec-Fetch-Site, see config/http.py); a client that sends no such header can still sign
    # with the token from a page of its own.
    token = csrf_token(csrf_client, confirm_url(letter, pending.confirmation_token()))

    response = csrf_client.post(sign_url(letter), sign_data(csrfmiddlewaretoken=token))

    assert response.status_code == 303
    assert Signature.objects.filter(email=sign_data()["email"]).count() == 1


def test_confirming_without_the_csrf_token_is_refused(csrf_client, letter, pending):
    response = csrf_client.post(confirm_url(letter, pending.confirmation_token()))

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    pending.refresh_from_db()
    assert pending.level == Level.PENDING


def test_confirming_with_the_csrf_token_is_accepted(csrf_client, letter, pending):
    link = confirm_url(letter, pending.confirmation_token())
    token = csrf_token(csrf_client, link)

    response = csrf_client.post(link, {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.level == Level.CONFIRMED


# Query strings on the signatories list -------------------------------------------------------


def cursor_for(key):
    """A cursor as the list encodes one, around an arbitrary (notable, confirmed_at, id) key."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


BAD_PAGE_LINK = "That page link is not valid; start again from the first page."
INVALID_LIST_QUERIES = {
    "level-bogus": (
        {"level": "bogus"},
        "level",
        "Verification",
        ["Select a valid choice. bogus is not one of the available choices."],
    ),
    "level-pending": (
        {"level": "pending"},
        "level",
        "Verification",
        ["Select a valid choice. pending is not one of the available choices."],
    ),
    "q-nul": (
        {"q": "Ada\x00Quinn"},
        "q",
        "Search names and affiliations",
        ["Null characters are not allowed."],
    ),
    "q-ten-thousand": (
        {"q": "a" * TEN_THOUSAND},
        "q",
        "Search names and affiliations",
        ["Ensure this value has at most 200 characters (it has 10000)."],
    ),
    "q-control": (
        {"q": "Ada\x07"},
        "q",
        "Search names and affiliations",
        ["Remove the invisible or control characters from this field."],
    ),
    "country-nul": (
        {"country": "\x00"},
        "country",
        "Country",
        ["Null characters are not allowed.", "Use a two-letter country code, such as FR."],
    ),
    "country-markup": (
        {"country": "<s"},
        "country",
        "Country",
        ["Use a two-letter country code, such as FR."],
    ),
    "organization-ten-thousand": (
        {"organization": "0" * TEN_THOUSAND},
        "organization",
        "Organization (ROR id)",
        ["Ensure this value has at most 40 characters (it has 10000)."],
    ),
    "cursor-junk": ({"cursor": "abc"}, "cursor", "Cursor", [BAD_PAGE_LINK]),
    "cursor-nul": ({"cursor": "\x00"}, "cursor", "Cursor", ["Null characters are not allowed."]),
    "cursor-unicode": ({"cursor": "\u00e9"}, "cursor", "Cursor", [BAD_PAGE_LINK]),
    "cursor-ten-thousand": (
        {"cursor": "a" * TEN_THOUSAND},
        "cursor",
        "Cursor",
        ["Ensure this value has at most 200 characters (it has 10000)."],
    ),
    "cursor-naive-time": (
        {"cursor": cursor_for([0, "2026-01-01T00:00:00", 1])},
        "cursor",
        "Cursor",
        [BAD_PAGE_LINK],
    ),
    "cursor-object": ({"cursor": cursor_for({"id": 1})}, "cursor", "Cursor", [BAD_PAGE_LINK]),
    "cursor-nested": (
        {"cursor": cursor_for([[0], "x", 1])},
        "cursor",
        "Cursor",
        [BAD_PAGE_LINK],
    ),
}


@pytest.mark.parametrize(
    "query, field, label, errors", INVALID_LIST_QUERIES.values(), ids=INVALID_LIST_QUERIES.keys()
)
def test_an_invalid_list_query_is_refused_with_a_message(
    client, letter, query, field, label, errors
):
    make_signature(letter, name="Ada Quinn")
    make_signature(letter, name="Pending Person", level=Level.PENDING)

    page = client.get(f"/letters/{letter.slug}/signatories/", query)
    api = client.get(f"/api/v1/letters/{letter.slug}/signatories/", query)

    content = page.content.decode()
    assert [page.status_code, api.status_code] == [400, 400]
    alert = re.search(r'role="alert">(.*?)</p>', content, re.S)[1]
    assert " ".join(alert.split()) == escape(" ".join(f"{label}: {error}" for error in errors))
    assert api.json() == {"errors": {field: errors}}
    assert "Pending Person" not in content


@pytest.mark.parametrize("pk", [2**63, 10**30], ids=["beyond-bigint", "huge"])
def test_a_cursor_with_an_id_beyond_the_column_is_refused(client, letter, pk):
    make_signature(letter, name="Ada Quinn")
    query = {"cursor": cursor_for([0, "2026-01-01T00:00:00+00:00", pk])}

    page = client.get(f"/letters/{letter.slug}/signatories/", query)
    api = client.get(f"/api/v1/letters/{letter.slug}/signatories/", query)

    assert [page.status_code, api.status_code] == [400, 400]
    assert api.json() == {"errors": {"cursor": [BAD_PAGE_LINK]}}


@pytest.mark.parametrize(
    "page", ["abc", "1.5", "", "\x00", "9" * 5000, "-1", "0", "99999"], ids=repr
)
def test_a_page_number_is_ignored_and_the_first_page_shown(client, letter, page):
    for n in range(51):
        make_signature(letter, name=f"Signer {n:02}")

    response = client.get(f"/letters/{letter.slug}/signatories/", {"page": page})

    assert response.status_code == 200
    assert len(response.context["rows"]) == 50
    assert 'rel="next"' in response.content.decode()


@pytest.mark.parametrize(
    "query, names",
    [
        (urlencode({"q": "\x00"}), []),
        (urlencode({"q": "u\x00q"}), ["University of Queensland"]),
        (urlencode({"q": "q" * TEN_THOUSAND}), []),
        (urlencode({"q": "%"}), []),
        (urlencode({"q": "_q"}), []),
        (urlencode({"q": "\\"}), []),
        (urlencode({"q": "<script>alert(1)</script>"}), []),
        # A UTF-16 surrogate encoded as if it were a character, as some broken clients do.
        ("q=%ED%A0%80", []),
        ("q=un%FF", []),
    ],
    ids=[
        "nul",
        "nul-inside",
        "ten-thousand",
        "percent",
        "underscore",
        "backslash",
        "markup",
        "encoded-surrogate",
        "invalid-utf-8",
    ],
)
def test_an_odd_organization_query_gets_plain_suggestions(client, query, names):
    make_organization(aliases=["UQ"])

    response = client.get(f"/organizations/?{query}")

    assert response.status_code == 200
    assert [result["name"] for result in response.json()["results"]] == names


# Confirmation links --------------------------------------------------------------------------


def tampered(token):
    payload, timestamp, mac = token.split(":")
    other_payload = signing.dumps(123456789, salt=CONFIRM_SALT, compress=True).split(":")[0]
    return {
        "last-character-changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "mac-reversed": f"{payload}:{timestamp}:{mac[::-1]}",
        "payload-swapped": f"{other_payload}:{timestamp}:{mac}",
        "timestamp-changed": f"{payload}:{'1' + timestamp}:{mac}",
        "upper-cased": token.upper(),
        "truncated-by-one": token[:-1],
        "truncated-by-half": token[: len(token) // 2],
        "payload-only": payload,
        "without-mac": f"{payload}:{timestamp}",
        "empty-mac": f"{payload}:{timestamp}:",
        "extra-field": f"{token}:extra",
        "unicode": token.replace(token[-1], "\u00e9"),
        "very-long": token + "A" * TEN_THOUSAND,
        "dot-dot": "..",
        "backslash-traversal": "..\\..\\windows\\win.ini",
        "nul": f"{token}%00",
        "only-colons": "::",
    }


TAMPERINGS = list(tampered("payload:timestamp:mac"))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_link_gets_a_friendly_page_and_changes_nothing(
    client, letter, pending, method, tampering
):
    token = tampered(pending.confirmation_token())[tampering]

    response = getattr(client, method)(confirm_url(letter, token))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    pending.refresh_from_db()
    assert pending.level == Level.PENDING


@pytest.mark.parametrize(
    "token",
    ["..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "MQ%2F1xX3mr"],
    ids=["encoded-slashes", "encoded-dots-and-slashes", "slash-inside"],
)
def test_a_link_with_a_path_traversal_gets_a_friendly_page(client, letter, pending, token):
    response = client.get(f"/letters/{letter.slug}/confirm/{token}/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_for_another_letters_signature_does_not_work_here(client, letter, method):
    other = make_letter(slug="other-letter")
    theirs = make_signature(other, level=Level.PENDING)

    response = getattr(client, method)(confirm_url(letter, theirs.confirmation_token()))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.level == Level.PENDING


UNEXPECTED_PAYLOADS = {
    "text": "x",
    "none": None,
    "float": 1.0,
    "list": [1],
    "object": {"pk": 1},
    "negative": -1,
    "beyond-bigint": 2**63,
    "huge": 10**30,
}


@pytest.mark.parametrize("payload", UNEXPECTED_PAYLOADS.values(), ids=UNEXPECTED_PAYLOADS.keys())
def test_a_signed_link_with_an_unexpected_payload_does_not_work(client, letter, payload):
    first = make_signature(letter, pk=1, level=Level.PENDING)

    response = client.get(confirm_url(letter, signing.dumps(payload, salt=CONFIRM_SALT)))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    first.refresh_from_db()
    assert first.level == Level.PENDING


def test_a_signed_link_with_a_boolean_payload_does_not_work(client, letter):
    first = make_signature(letter, pk=1, level=Level.PENDING)

    response = client.post(confirm_url(letter, signing.dumps(True, salt=CONFIRM_SALT)))

    assert response.status_code == 400
    first.refresh_from_db()
    assert first.level == Level.PENDING


def test_an_expired_link_offers_a_new_one(client, letter, pending, monkeypatch):
    response = client.get(confirm_url(letter, expired_token(pending, monkeypatch)))

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert '<button type="submit" class="button">Send me a new link</button>' in (
        response.content.decode()
    )
    pending.refresh_from_db()
    assert pending.level == Level.PENDING


def test_the_new_link_button_sends_exactly_one_working_link(
    client, letter, pending, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(letter, expired_token(pending, monkeypatch)))

    assert response.status_code == 303
    assert response["Location"] == f"/letters/{letter.slug}/check-email/"
    (message,) = mail.outbox
    assert message.to == [pending.email]
    assert client.post(confirm_path(message)).status_code == 200
    pending.refresh_from_db()
    assert pending.level == Level.CONFIRMED


def test_an_expired_link_for_a_confirmed_signature_offers_nothing(
    client, letter, monkeypatch, django_capture_on_commit_callbacks
):
    confirmed = make_signature(letter, level=Level.CONFIRMED)
    link = confirm_url(letter, expired_token(confirmed, monkeypatch))

    with django_capture_on_commit_callbacks(execute=True):
        shown = client.get(link)
        pressed = client.post(link)

    assert [shown.status_code, pressed.status_code] == [410, 410]
    assert "Send me a new link" not in shown.content.decode()
    assert mail.outbox == []


def test_an_expired_link_for_another_letter_offers_nothing(
    client, letter, monkeypatch, django_capture_on_commit_callbacks
):
    theirs = make_signature(make_letter(slug="other-letter"), level=Level.PENDING)
    link = confirm_url(letter, expired_token(theirs, monkeypatch))

    with django_capture_on_commit_callbacks(execute=True):
        shown = client.get(link)
        pressed = client.post(link)

    assert [shown.status_code, pressed.status_code] == [410, 410]
    assert "Send me a new link" not in shown.content.decode()
    assert mail.outbox == []


EXPIRED_PAYLOADS = {
    "negative": -1,
    "beyond-bigint": 2**63,
    "huge": 10**30,
    "text": pytest.param("x"),
    "boolean": pytest.param(True),
}


@pytest.mark.parametrize("payload", EXPIRED_PAYLOADS.values(), ids=EXPIRED_PAYLOADS.keys())
def test_an_expired_link_with_an_unexpected_payload_offers_nothing(
    client, letter, monkeypatch, payload, django_capture_on_commit_callbacks
):
    first = make_signature(letter, pk=1, level=Level.PENDING)
    link = confirm_url(
        letter, signed_long_ago(lambda: signing.dumps(payload, salt=CONFIRM_SALT), monkeypatch)
    )

    with django_capture_on_commit_callbacks(execute=True):
        shown = client.get(link)
        pressed = client.post(link)

    assert [shown.status_code, pressed.status_code] == [410, 410]
    assert "Send me a new link" not in shown.content.decode()
    assert mail.outbox == []
    first.refresh_from_db()
    assert first.level == Level.PENDING


def test_a_used_link_replayed_changes_nothing(client, letter, pending):
    link = confirm_url(letter, pending.confirmation_token())
    client.post(link)
    pending.refresh_from_db()
    confirmed_at = pending.confirmed_at

    replayed = client.post(link)

    assert replayed.status_code == 200
    assert "Your signature was already confirmed" in replayed.content.decode()
    pending.refresh_from_db()
    assert (pending.level, pending.confirmed_at) == (Level.CONFIRMED, confirmed_at)


# Drafts and methods --------------------------------------------------------------------------


@pytest.fixture
def draft(db):
    return make_letter(title="Secret draft letter", slug="secret-draft", publish=False)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/letters/secret-draft/"),
        ("post", "/letters/secret-draft/sign/"),
        ("get", "/letters/secret-draft/check-email/"),
        ("get", "/letters/secret-draft/confirm/{token}/"),
        ("post", "/letters/secret-draft/confirm/{token}/"),
        ("get", "/letters/secret-draft/signatories/"),
        ("get", "/letters/secret-draft/signatories.csv"),
        ("get", "/letters/secret-draft/signatories.json"),
        ("get", "/letters/secret-draft/feed/"),
        ("get", "/letters/secret-draft/embed/"),
        ("get", "/letters/secret-draft/badge.svg"),
        ("get", "/letters/secret-draft/card.png"),
        ("get", "/api/v1/letters/secret-draft/"),
        ("get", "/api/v1/letters/secret-draft/count"),
        ("get", "/api/v1/letters/secret-draft/signatories/"),
    ],
)
def test_a_draft_letter_is_not_found_at_any_public_url(
    client, letter, draft, method, path, django_capture_on_commit_callbacks
):
    signature = make_signature(letter, level=Level.PENDING)
    url = path.format(token=signature.confirmation_token())

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url, sign_data() if method == "post" else None)

    assert response.status_code == 404
    assert "Secret draft letter" not in body_of(response).decode()
    assert Signature.objects.get() == signature
    signature.refresh_from_db()
    assert signature.level == Level.PENDING
    assert mail.outbox == []


def test_a_draft_letter_is_not_listed(client, letter, draft):
    pages = [client.get("/"), client.get("/feed/"), client.get("/api/v1/letters/")]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [item["slug"] for item in pages[2].json()["results"]] == [letter.slug]
    for page in pages:
        assert "Secret draft letter" not in page.content.decode()
        assert "secret-draft" not in page.content.decode()


@pytest.mark.parametrize("data", [sign_data(), {}, sign_data(name="\x00", email="x")])
def test_a_closed_letter_refuses_any_signature(sign, letter, data):
    letter.close()

    response = sign(data)

    assert response.status_code == 403
    assert "Signing has closed" in response.content.decode()
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_a_link_for_a_closed_letter_confirms_nothing(client, letter, pending):
    letter.close()

    response = client.post(confirm_url(letter, pending.confirmation_token()))

    assert response.status_code == 403
    assert "Signing has closed" in response.content.decode()
    pending.refresh_from_db()
    assert pending.level == Level.PENDING


@pytest.mark.parametrize("method", ["get", "head", "put", "patch", "delete", "options"])
def test_the_sign_url_answers_only_post(client, letter, method):
    response = getattr(client, method)(sign_url(letter))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert Signature.objects.count() == 0
