"""Forms the organizer workspace shares: every decision on a signature carries a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (recorded with your name)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])


class NotableForm(forms.Form):
    notable = forms.ChoiceField(choices=[("on", "on"), ("off", "off")])
