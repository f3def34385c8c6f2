"""Forms the organizer workspace shares: every decision on a signature carries a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from signatories.forms import clean_text


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (recorded with your name)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_reason(self):
        # The reason is shown to other organizers and kept in the audit log: no control or
        # invisible characters, single spaces.
        return clean_text(self.cleaned_data["reason"], max_length=500)


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])


class NotableForm(forms.Form):
    notable = forms.ChoiceField(choices=[("on", "on"), ("off", "off")])
