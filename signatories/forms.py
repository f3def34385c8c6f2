import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from signatories.models import Level, Organization, organization_for_affiliation


def clean_text(value):
    """Normalise a typed value: NFC, no control characters, single spaces."""
    value = unicodedata.normalize("NFC", value)
    if any(
        unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} and ch not in "\t\n\r" for ch in value
    ):
        raise ValidationError("Remove the invisible or control characters from this field.")
    return " ".join(value.split())


class SignForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="As you would like it to appear on the letter.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="We send a confirmation link here. Never shown publicly.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    affiliation = forms.CharField(
        label="Affiliation",
        max_length=200,
        help_text="Your university, lab or company, or “Independent”.",
        widget=forms.TextInput(
            attrs={"autocomplete": "organization", "data-autocomplete-url": "/organizations/"}
        ),
    )
    role = forms.CharField(
        label="Role",
        max_length=200,
        help_text="For example “Professor of Computer Science” or “Research engineer”.",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    comment = forms.CharField(
        label="Comment (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    public = forms.BooleanField(
        label="List my name publicly",
        required=False,
        initial=True,
        help_text="Unticked, your signature is counted but your name is not shown.",
    )

    organization = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    evidence_url = forms.URLField(
        label="Ask for manual verification (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="A link to a page that shows your affiliation, such as your staff profile. "
        "An organizer will check it.",
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )

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
                "Choose your organization from the suggestions, or leave it empty."
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
            raise ValidationError("Enter your name using letters.")
        return name

    def clean_affiliation(self):
        return clean_text(self.cleaned_data["affiliation"])

    def clean_role(self):
        return clean_text(self.cleaned_data["role"])

    def clean_comment(self):
        comment = unicodedata.normalize("NFC", self.cleaned_data["comment"]).strip()
        if any(unicodedata.category(ch) in {"Cc", "Cs"} and ch not in "\n\r\t" for ch in comment):
            raise ValidationError("Remove the control characters from your comment.")
        return comment

    def clean_email(self):
        return self.cleaned_data["email"].strip()


class SignatoryFilterForm(forms.Form):
    q = forms.CharField(label="Search names and affiliations", max_length=200, required=False)
    level = forms.ChoiceField(
        label="Verification",
        required=False,
        choices=[("", "All levels")]
        + [(lv.value, lv.label) for lv in Level if lv != Level.PENDING],
    )

    def clean_q(self):
        return clean_text(self.cleaned_data["q"])
