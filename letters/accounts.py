"""Deleting one's own account: /accounts/delete/.

What goes: the account, its email addresses, its ORCID link, its second factors, its place on
each letter it organizes (each leaving is in that letter's audit log, which keeps naming it), and
its drafts that no one else organizes, with their audit logs (never public, so nothing public is
lost). What stays: every signature (a signer withdraws or edits it with the link from their
email, account or not).

What stops it: a letter whose last owner this is and that someone else organizes or the public
has seen. It needs an owner to answer for it, so another owner comes first. A staff account is
deleted by another operator, in the administration: its admin history goes with it.
"""

import logging
import smtplib
import time
from urllib.parse import urlencode

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from letters.models import LastOwnerError, Letter, Organizer

logger = logging.getLogger(__name__)

# When this session last logged in (a session key).
LOGGED_IN_AT = "logged_in_at"
# A deletion form older than this is refused: allauth keeps a POST while it asks for the password,
# and one left there must not be carried out at a later, unrelated password prompt.
FORM_MAX_AGE_SECONDS = 10 * 60
FORM_SALT = "letters.accounts.delete"
ASKED_SALT = "letters.accounts.asked"


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        super().login(request, user)
        # What an account with no password, code or second factor to ask for again (ORCID
        # only) has to show that its owner is at the keyboard: a login after being asked for one.
        request.session[LOGGED_IN_AT] = time.time()


def letters_of(user):
    """(kept, drafts): the letters that stop `user`'s account from being deleted, and its drafts
    that no one else organizes, which go with it."""
    OWNER = Organizer.Role.OWNER
    memberships = (
        Organizer.objects.filter(user=user)
        .select_related("letter")
        .annotate(
            organizers=Count("letter__organizers", distinct=True),
            owners=Count(
                "letter__organizers", filter=Q(letter__organizers__role=OWNER), distinct=True
            ),
        )
        .order_by("letter__title", "letter__pk")
    )
    kept, drafts = [], []
    for membership in memberships:
        if membership.organizers == 1 and membership.letter.published_at is None:
            drafts.append(membership.letter)
        elif membership.role == OWNER and membership.owners == 1:
            kept.append(membership.letter)
    return kept, drafts


class AccountHoldsLetters(Exception):
    """Refused: the account is the last owner of letters that need one."""


def delete_account(user):
    """Delete `user` as the module says; raises AccountHoldsLetters, with nothing changed, while
    a letter still needs them. Returns the verified addresses to tell (none when an earlier
    request, a second click, deleted the account already)."""
    # One transaction: a refusal found after a draft was deleted undoes it.
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if user is None:
            return []
        # The letters locked first: an owner leaving, a role changed or an invitation accepted
        # meanwhile waits for the commit, so what letters_of finds stays true until then.
        letters = Letter.objects.select_for_update(of=("self",)).filter(organizers__user=user)
        list(letters.order_by("pk"))
        kept, drafts = letters_of(user)
        if kept:
            raise AccountHoldsLetters
        for letter in drafts:
            letter.delete()
        for membership in Organizer.objects.filter(user=user).select_related("letter"):
            try:
                membership.letter.remove_organizer(membership, by=user)
            except LastOwnerError:
                raise AccountHoldsLetters from None
        addresses = list(
            EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        )
        user.delete()
    return addresses


def has_a_way_to_reauthenticate(request):
    return bool(get_adapter(request).get_reauthentication_methods(request.user))


def asked_to_log_in(user):
    """A signed note of when the deletion page asked `user` to log in again. It travels in the
    address the login returns to: allauth starts a new session at each login."""
    return signing.dumps({"user": user.pk, "at": time.time()}, salt=ASKED_SALT)


def orcid_login_again_url(user):
    """Logging in with ORCID again, back to the deletion page with the note that it asked."""
    back = reverse("account_delete") + "?" + urlencode({"asked": asked_to_log_in(user)})
    # prompt=login: ORCID asks for the password even when the browser is still logged in there.
    query = urlencode({"next": back, "auth_params": "prompt=login"})
    return reverse("orcid_login") + "?" + query


def logged_in_when_asked(request, asked):
    """An account with no way to reauthenticate: has this session logged in since the deletion
    page asked it to (`asked`, from asked_to_log_in), and lately? A login made before (to sign
    a letter on a shared computer, say) does not count."""
    timeout = app_settings.REAUTHENTICATION_TIMEOUT
    try:
        note = signing.loads(asked or "", salt=ASKED_SALT, max_age=timeout)
    except signing.BadSignature:
        return False
    logged_in_at = request.session.get(LOGGED_IN_AT)
    return (
        note["user"] == request.user.pk
        and isinstance(logged_in_at, float)
        and note["at"] < logged_in_at
        and time.time() - logged_in_at < timeout
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you want to delete it.")
        }
    )
    opened = forms.CharField(widget=forms.HiddenInput)
    # For an account with no way to reauthenticate: the note that it was asked to log in again.
    asked = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, user, asked=""):
        self.user = user
        initial = {"opened": signing.dumps(user.pk, salt=FORM_SALT), "asked": asked}
        super().__init__(data, initial=initial)

    def clean_opened(self):
        try:
            pk = signing.loads(
                self.cleaned_data["opened"], salt=FORM_SALT, max_age=FORM_MAX_AGE_SECONDS
            )
        except signing.BadSignature:
            pk = None
        if pk != self.user.pk:
            raise forms.ValidationError(_("This page was opened too long ago: open it again."))
        return pk


def is_staff(user):
    return user.is_staff or user.is_superuser


def delete_page(request, *, asked="", error=None, status=200):
    kept, drafts = letters_of(request.user)
    may_reauthenticate = has_a_way_to_reauthenticate(request)
    proven = may_reauthenticate or logged_in_when_asked(request, asked)
    context = {
        "kept": kept,
        "drafts": drafts,
        "error": error,
        "staff": is_staff(request.user),
        "may_delete": proven,
        "has_orcid": request.user.socialaccount_set.filter(provider="orcid").exists(),
        "orcid_login_url": orcid_login_again_url(request.user),
        "form": DeleteAccountForm(user=request.user, asked=asked if proven else ""),
    }
    return render(request, "account/delete.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required(allow_get=True, enabled=has_a_way_to_reauthenticate)
def delete(request):
    """GET: what deleting the account would do. POST: do it, once the owner has shown it is
    them: by password, emailed code or second factor (allauth asks, then resumes this POST), or,
    with no such way, by logging in again when the page asked."""
    # A refusal shows the page again as it was: with the form, if the account had shown it is
    # its owner's.
    asked = (
        request.GET.get("asked", "") if request.method == "GET" else request.POST.get("asked", "")
    )
    if request.method == "GET":
        return delete_page(request, asked=asked)
    if is_staff(request.user):
        refusal = _("A staff account is deleted by another operator, in the administration.")
        return delete_page(request, asked=asked, error=refusal, status=403)
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        first_error = next(iter(form.errors.values()))[0]
        return delete_page(request, asked=asked, error=first_error, status=400)
    if not has_a_way_to_reauthenticate(request) and not logged_in_when_asked(request, asked):
        return delete_page(
            request,
            error=_("Log in again to confirm it is you, then delete the account within 5 minutes."),
            status=403,
        )
    try:
        addresses = delete_account(request.user)
    except AccountHoldsLetters:
        return delete_page(
            request,
            asked=asked,
            error=_("Make someone else owner of the letters below first."),
            status=409,
        )
    logout(request)
    adapter = get_adapter(request)
    for address in addresses:
        try:
            adapter.send_notification_mail("account/email/account_deleted", None, email=address)
        except (smtplib.SMTPException, OSError):
            # The account is gone either way: the email only says so.
            logger.warning("The email saying an account was deleted was not sent.", exc_info=True)
    messages.success(request, _("Your account is deleted."))
    return redirect("/")
