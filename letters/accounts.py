"""Deleting one's own account: /accounts/delete/.

What goes: the account, its email addresses, its ORCID link, its second factors, its place on
each letter it organizes (each leaving is in that letter's audit log), and its drafts that no one
else organizes (never public, so nothing public is lost). What stays: every signature (a signer
withdraws or edits it with the link from their email, account or not), and the audit logs, which
still name who did what.

What stops it: a letter whose last owner this is and that someone else organizes or the public
has seen. It needs an owner to answer for it, so another owner comes first.
"""

import logging
import smtplib
import time

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from letters.models import LastOwnerError, Organizer

logger = logging.getLogger(__name__)

LOGGED_IN_AT = "logged_in_at"


def note_the_login(sender, request, user, **kwargs):
    """When this session last logged in (user_logged_in, connected in LettersConfig.ready): how
    an account with no password or email address to ask for again (ORCID only) shows that its
    owner is at the keyboard."""
    if request is not None and hasattr(request, "session"):
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
    """Refused: the account is the last owner of these letters."""

    def __init__(self, letters):
        self.letters = letters
        super().__init__(", ".join(letter.slug for letter in letters))


def delete_account(user):
    """Delete `user` as the module says, in one transaction; raises AccountHoldsLetters (and
    changes nothing) when a letter still needs them. Returns the addresses to tell."""
    with transaction.atomic():
        # Locked: two deletions of one account (two tabs) run one after the other.
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        kept, drafts = letters_of(user)
        if kept:
            raise AccountHoldsLetters(kept)
        for letter in drafts:
            letter.delete()
        for membership in Organizer.objects.filter(user=user).select_related("letter"):
            try:
                membership.letter.remove_organizer(membership, by=user)
            except LastOwnerError:
                # Another owner left meanwhile: this one is the last now.
                raise AccountHoldsLetters([membership.letter]) from None
        addresses = list(
            EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        )
        user.delete()
    return addresses


def has_a_way_to_reauthenticate(request):
    return bool(get_adapter(request).get_reauthentication_methods(request.user))


def logged_in_lately(request):
    logged_in_at = request.session.get(LOGGED_IN_AT)
    return (
        isinstance(logged_in_at, float)
        and time.time() - logged_in_at < app_settings.REAUTHENTICATION_TIMEOUT
    )


def delete_page(request, *, error=None, status=200):
    kept, drafts = letters_of(request.user)
    context = {
        "kept": kept,
        "drafts": drafts,
        "error": error,
        "may_reauthenticate": has_a_way_to_reauthenticate(request),
        "logged_in_lately": logged_in_lately(request),
    }
    return render(request, "account/delete.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@reauthentication_required(allow_get=True, enabled=has_a_way_to_reauthenticate)
def delete(request):
    """GET: what deleting the account would do. POST: do it, once the owner has shown it is
    them: by password, emailed code or second factor (allauth asks, then resumes this POST), or
    with no such way, by a login in this session in the last few minutes."""
    if request.method == "GET":
        return delete_page(request)
    if request.POST.get("confirm") != "delete":
        return delete_page(
            request, error=_("Tick the box to confirm that you want to delete it."), status=400
        )
    if not has_a_way_to_reauthenticate(request) and not logged_in_lately(request):
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
            logger.warning("The email saying an account was deleted could not be sent.")
    messages.success(request, _("Your account is deleted."))
    return redirect("/")
