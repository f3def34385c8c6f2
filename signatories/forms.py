import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django_altcha import AltchaField

from signatories.addresses import canonical_email
from signatories.listing import BadCursor, decode_cursor
from signatories.models import Display, Level, Organization, organization_for_affiliation
from signatories.safeguards import challenge_required

# Zero-width (non-)joiners are format characters that Persian and Indic names need.
ALLOWED_FORMAT_CHARACTERS = "\t\n\r\u200c\u200d"


def clean_text(value, max_length=200):
    """Normalise a typed value: NFC, no control characters, single spaces, within the column."""
    value = unicodedata.normalize("NFC", value)
    if any(
        unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} and ch not in ALLOWED_FORMAT_CHARACTERS
        for ch in value
    ):
        raise ValidationError(_("Remove the invisible or control characters from this field."))
    # Bytes that were not UTF-8 (percent-encoded latin-1) decode to U+FFFD; no one types it.
    if "\ufffd" in value:
        raise ValidationError(_("Some characters did not arrive intact; type them again."))
    value = " ".join(value.split())
    # NFC can lengthen text (U+FB2C becomes three code points), so the column's limit is checked
    # again here: PostgreSQL would refuse the row with a 500, and SQLite store it too long.
    MaxLengthValidator(max_length)(value)
    return value


class ListMeCheckbox(forms.CheckboxInput):
    """Only a clear yes lists a name.

    Django's CheckboxInput takes any value but "false" as ticked, so a script sending
    public=off or public=0 would publish the name of someone who asked not to be listed.
    """

    def value_from_datadict(self, data, files, name):
        return str(data.get(name, "")).strip().lower() in {"on", "true", "1", "yes"}


class SignForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As you would like it to appear on the letter."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send a confirmation link here. Never shown publicly."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    affiliation = forms.CharField(
        label=_("Affiliation"),
        max_length=200,
        help_text=_("Your university, lab or company, or “Independent”."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "organization",
                "data-autocomplete-url": "/organizations/",
                # What static/js/autocomplete.js says, in the page's language; {n} and {name}
                # are filled in by the script.
                "data-suggestions-label": _("Organizations"),
                "data-one-suggestion": _("{n} suggestion. Use up and down arrows to choose."),
                "data-many-suggestions": _("{n} suggestions. Use up and down arrows to choose."),
                "data-selected": _("{name} selected."),
            }
        ),
    )
    role = forms.CharField(
        label=_("Role"),
        max_length=200,
        help_text=_("For example “Professor of Computer Science” or “Research engineer”."),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    public = forms.BooleanField(
        label=_("List my name publicly"),
        required=False,
        initial=True,
        help_text=_("Unticked, your signature is counted but your name is not shown."),
        widget=ListMeCheckbox,
    )

    organization = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    evidence_url = forms.URLField(
        label=_("Ask for manual verification (optional)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "A link to a page that shows your affiliation, such as your staff profile. "
            "An organizer will check it."
        ),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    # The version of the letter the signer read: the canonical text or a translation. Set by
    # the page; checked against the versions that exist.
    language = forms.ChoiceField(
        label=_("Version read"),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "This letter has no version in that language. Reload the page and sign again."
            )
        },
    )

    def __init__(self, *args, languages, **kwargs):
        """`languages`: the letter's versions, the canonical one first (Letter.versions())."""
        super().__init__(*args, **kwargs)
        self.languages = languages
        self.fields["language"].choices = [(code, code) for code in languages]

    def clean_language(self):
        # Outside tools that post without it signed the canonical text, the only one they see.
        return self.cleaned_data["language"] or self.languages[0]

    def clean_organization(self):
        """A ROR id (bare or as its https://ror.org/ URL) naming a registry organization."""
        value = self.cleaned_data["organization"].strip()
        if not value:
            return None
        ror_id = value.removeprefix("https://ror.org/").removeprefix("http://ror.org/").strip("/")
        organization = (
            Organization.objects.filter(ror_id=ror_id).first() if len(ror_id) == 9 else None
        )
        if organization is None:
            raise ValidationError(
                _("Choose your organization from the suggestions, or leave it empty.")
            )
        return organization

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("organization") is None and cleaned.get("affiliation"):
            cleaned["organization"] = organization_for_affiliation(cleaned["affiliation"])
        return cleaned

    def clean_name(self):
        name = clean_text(self.cleaned_data["name"])
        if not any(ch.isalpha() for ch in name):
            raise ValidationError(_("Enter your name using letters."))
        return name

    def clean_affiliation(self):
        return clean_text(self.cleaned_data["affiliation"])

    def clean_role(self):
        return clean_text(self.cleaned_data["role"])

    def clean_evidence_url(self):
        url = self.cleaned_data["evidence_url"]
        # URLValidator lets control and invisible characters through; the organizer asked to
        # open this link must see exactly where it goes.
        if any(unicodedata.category(ch)[0] == "C" for ch in url):
            raise ValidationError(_("Enter a valid URL."), code="invalid")
        return url

    def clean_comment(self):
        comment = unicodedata.normalize("NFC", self.cleaned_data["comment"]).strip()
        if any(unicodedata.category(ch) in {"Cc", "Cs"} and ch not in "\n\r\t" for ch in comment):
            raise ValidationError(_("Remove the control characters from your comment."))
        return comment

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        # Django's validator lets any character from U+00A1 up into the domain, invisible and
        # bidi-control ones included. Keep addresses a person can read, that IDNA can encode
        # (or no confirmation can ever be sent) and whose canonical form fits its column.
        try:
            email.rpartition("@")[2].encode("idna")
        except UnicodeError:
            raise ValidationError(_("Enter a valid email address."), code="invalid") from None
        if (
            any(unicodedata.category(ch)[0] in "CZ" for ch in email)
            or len(canonical_email(email)) > 254
        ):
            raise ValidationError(_("Enter a valid email address."), code="invalid")
        return email


class SignatoryFilterForm(forms.Form):
    """?q=, ?level=, ?organization=, ?country= and ?cursor= on lists and the API."""

    q = forms.CharField(label=_("Search names and affiliations"), max_length=200, required=False)
    level = forms.ChoiceField(
        label=_("Verification"),
        required=False,
        choices=[("", _("All levels"))]
        + [(lv.value, lv.label) for lv in Level if lv != Level.PENDING],
    )
    organization = forms.CharField(
        label=_("Organization (ROR id)"), max_length=40, required=False, widget=forms.HiddenInput
    )
    country = forms.RegexField(
        label=_("Country"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        error_messages={"invalid": _("Use a two-letter country code, such as FR.")},
        widget=forms.TextInput(attrs={"size": 2, "autocomplete": "off"}),
    )
    cursor = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    def clean_q(self):
        return clean_text(self.cleaned_data["q"])

    def clean_organization(self):
        value = self.cleaned_data["organization"].strip()
        return value.removeprefix("https://ror.org/").strip("/") or ""

    def clean_country(self):
        return self.cleaned_data["country"].upper()

    def clean_cursor(self):
        value = self.cleaned_data["cursor"]
        if not value:
            return None
        try:
            return decode_cursor(value)
        except BadCursor:
            raise ValidationError(
                _("That page link is not valid; start again from the first page.")
            ) from None

    def filter(self, signatures):
        """Narrow a listed queryset by the validated filters."""
        data = self.cleaned_data
        signatures = signatures.search(data["q"])
        if data["level"]:
            signatures = signatures.filter(level=data["level"])
        # Filters by organization pass over signers listed by name only: a filter that found
        # them would publish the affiliation they chose to withhold.
        if data["organization"]:
            signatures = signatures.filter(
                organization__ror_id=data["organization"], show_affiliation=True
            )
        if data["country"]:
            signatures = signatures.filter(
                organization__country_code=data["country"], show_affiliation=True
            )
        return signatures


class ManageForm(forms.Form):
    """The signer's choices on the manage page."""

    display = forms.ChoiceField(
        label=_("How your signature is shown"), choices=Display.choices, widget=forms.RadioSelect
    )
    notify_changes = forms.BooleanField(
        label=_("Email me if the letter's text changes materially"), required=False
    )


class ManageRequestForm(forms.Form):
    """ "Email me my manage link": the address the signer signed with."""

    email = forms.EmailField(label=_("The email address you signed with"), max_length=254)


class ChallengeForm(forms.Form):
    """The proof-of-work challenge (ALTCHA), asked only of a letter under attack.

    Self-hosted: the challenge is made and checked here, and the widget's script, stylesheet and
    worker are our own static files, so the strict CSP holds (see static/altcha/README).
    """

    altcha = AltchaField(
        label=_("Verification"),
        hidefooter=True,
        # The logo is a link marked aria-hidden yet focusable, which fails the axe scan.
        hidelogo=True,
        error_messages={
            "required": _("Tick the verification box and wait for it to finish, then sign."),
            "invalid": _("The verification did not complete. Tick the box again, then sign."),
            "error": _("The verification did not complete. Tick the box again, then sign."),
            "replay": _("The verification did not complete. Tick the box again, then sign."),
        },
    )

    def __init__(self, *args, worker_url, **kwargs):
        super().__init__(*args, **kwargs)
        options = self.fields["altcha"].widget.options
        # The widget builds its worker with new URL(…), which needs an absolute address.
        options["workerurl"] = worker_url
        # How much work: a browser tries about half this many hashes on average.
        options["maxnumber"] = settings.ALTCHA_MAX_NUMBER


def challenge_form(request, letter, *, bound=True):
    """The letter's challenge form (bound to the POST when signing), or None when not required."""
    if not challenge_required(letter):
        return None
    worker_url = request.build_absolute_uri(static("altcha/worker.js"))
    data = request.POST if bound and request.method == "POST" else None
    return ChallengeForm(data, worker_url=worker_url)
