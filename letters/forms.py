"""Forms of the organizer workspace: drafting, inviting, revising, the letter's switches."""

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from letters.models import Letter, Organizer

# Addresses under /organize/ that are pages, not letters: a letter with one of these slugs
# could never be opened in the workspace.
RESERVED_SLUGS = {"new", "invitations"}
# A letter is a page, not a book: this bounds the page, the preview and every diff.
MAX_BODY_CHARS = 50_000


def clean_new_slug(slug, *, instance_pk=None):
    slug = slug.strip().lower()
    if slug in RESERVED_SLUGS:
        raise forms.ValidationError(_("This address is reserved; choose another."))
    if Letter.objects.filter(slug=slug).exclude(pk=instance_pk).exists():
        raise forms.ValidationError(_("Another letter already has this address; choose another."))
    return slug


SLUG_HELP = _("The letter's address: lower-case letters, digits and hyphens, as in ai-risk.")
SLUG_INVALID = _("Use only lower-case letters, digits and hyphens, as in ai-risk.")


class NewLetterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=SLUG_HELP,
        error_messages={"invalid": SLUG_INVALID},
    )

    def clean_slug(self):
        return clean_new_slug(self.cleaned_data["slug"])


class LetterForm(forms.ModelForm):
    """The working text and the settings that are not revisioned."""

    class Meta:
        model = Letter
        fields = [
            "title",
            "summary",
            "slug",
            "body",
            "language",
            "closes_at",
            "goal",
            "min_public_level",
        ]
        labels = {
            "title": _("Title"),
            "summary": _("Summary"),
            "slug": _("Address"),
            "body": _("Text (Markdown)"),
            "language": _("Language of the text"),
            "closes_at": _("Signing closes at (optional)"),
            "goal": _("Signature goal (optional)"),
            "min_public_level": _("Weakest verification listed publicly"),
        }
        help_texts = {"slug": SLUG_HELP}
        error_messages = {"slug": {"invalid": SLUG_INVALID}}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 20}),
            "summary": forms.Textarea(attrs={"rows": 2}),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].validators.append(_max_body)
        # The database refuses a goal of 0 (letter_goal_positive); say so before it does.
        self.fields["goal"].min_value = 1
        self.fields["goal"].validators.append(MinValueValidator(1))
        self.fields["goal"].widget.attrs["min"] = 1
        self.fields["body"].required = False
        # Published addresses are linked from everywhere; changing one would break them all.
        # The canonical language is that of the published text and of its translations.
        if self.instance.is_public:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _(
                "The address cannot change once the letter is public."
            )
            self.fields["language"].disabled = True
            self.fields["language"].help_text = _(
                "The language of the published text cannot change."
            )

    def clean_slug(self):
        if self.fields["slug"].disabled:
            return self.instance.slug
        return clean_new_slug(self.cleaned_data["slug"], instance_pk=self.instance.pk)

    def validate_unique(self):
        # clean_slug already says clearly when the address is taken.
        pass

    def changed_fields(self):
        return [name for name in self.changed_data if name in self.fields]


def _max_body(value):
    if len(value) > MAX_BODY_CHARS:
        raise forms.ValidationError(
            _("The text is too long: at most %(max)d characters.") % {"max": MAX_BODY_CHARS}
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Organizer.Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Organizer.Role.choices)


class ReviseForm(forms.Form):
    change_note = forms.CharField(
        label=_("What changed"),
        max_length=500,
        help_text=_("Shown to readers in the letter's history."),
    )
    notify_signers = forms.BooleanField(
        label=_("Email confirmed signers about this material change"), required=False
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Letter
        fields = Letter.SETTINGS
        labels = {
            "require_two_factor": _("Require two-factor authentication for organizers"),
            "signing_paused": _("Pause signing"),
            "challenge_required": _("Require a challenge from signers (under attack)"),
        }
