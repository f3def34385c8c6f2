"""Co-organizers: the list, invitations by email, roles, removing and leaving."""

import logging
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from letters import emails
from letters.forms import InvitationForm, RoleForm
from letters.models import Invitation, InvitationEmailMismatch, Organizer, TooManyInvitations
from letters.permissions import organizer_required, role_may

logger = logging.getLogger("undersigned.abuse")


def organizers_page(request, letter, membership, *, invite_form=None, error=None, status=200):
    may_manage = role_may(membership.role, "manage_organizers")
    organizers = letter.organizers.select_related("user").order_by("added_at", "pk")
    context = {
        "letter": letter,
        "organizers": organizers,
        "may_manage": may_manage,
        "invitations": letter.invitations.open() if may_manage else [],
        "invite_form": invite_form or InvitationForm(),
        "roles": Organizer.Role.choices,
        "error": error,
    }
    return render(request, "letters/organize/organizers.html", context, status=status)


@require_safe
@organizer_required("view_dashboard")
def organizer_list(request, letter, membership):
    return organizers_page(request, letter, membership)


@require_POST
@organizer_required("manage_organizers")
def invite(request, letter, membership):
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return organizers_page(request, letter, membership, invite_form=form, status=400)
    try:
        invitation = letter.invite(by=request.user, **form.cleaned_data)
    except TooManyInvitations as refused:
        logger.warning(
            "Invitation refused: user=%s letter=%s reason=daily limit", request.user.pk, letter.slug
        )
        response = organizers_page(
            request, letter, membership, invite_form=form, error=refused.messages[0], status=429
        )
        wait = refused.allowed_again_at - timezone.now()
        response["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return response
    # Sent after the invitation is committed, so the link in the email always works.
    transaction.on_commit(lambda: emails.send_invitation(invitation))
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return redirect("organize:organizers", letter.slug)


def act(request, letter, membership, action, done, *, leaving=False):
    """Run one change to the organizers; a refusal re-shows the page with its reason."""
    try:
        action()
    except ValidationError as error:
        return organizers_page(request, letter, membership, error=error.messages[0], status=409)
    if leaving:
        messages.success(request, _("You no longer organize this letter."))
        return redirect("organize:my_letters")
    messages.success(request, done)
    return redirect("organize:organizers", letter.slug)


@require_POST
@organizer_required("manage_organizers")
def revoke_invitation(request, letter, membership, pk):
    invitation = get_object_or_404(Invitation, pk=pk, letter=letter)
    done = _("Invitation revoked: its link no longer works.")
    return act(request, letter, membership, lambda: invitation.revoke(by=request.user), done)


@require_POST
@organizer_required("manage_organizers")
def change_role(request, letter, membership, pk):
    organizer = get_object_or_404(Organizer, pk=pk, letter=letter)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return organizers_page(request, letter, membership, error=_("Choose a role."), status=400)
    role = form.cleaned_data["role"]
    return act(
        request,
        letter,
        membership,
        lambda: letter.change_role(organizer, role, by=request.user),
        _("Role changed."),
    )


@require_POST
@organizer_required("manage_organizers")
def remove(request, letter, membership, pk):
    organizer = get_object_or_404(Organizer, pk=pk, letter=letter)
    return act(
        request,
        letter,
        membership,
        lambda: letter.remove_organizer(organizer, by=request.user),
        _("Organizer removed."),
        leaving=organizer.user_id == request.user.pk,
    )


@require_POST
@organizer_required("view_dashboard")
def leave(request, letter, membership):
    return act(
        request,
        letter,
        membership,
        lambda: letter.remove_organizer(membership, by=request.user),
        None,
        leaving=True,
    )


@require_http_methods(["GET", "POST"])
@login_required
def accept_invitation(request, token):
    """GET shows the invitation and a button; POST accepts it. Mail scanners only GET."""
    invitation = get_object_or_404(Invitation.objects.select_related("letter"), token=token)
    context = {"invitation": invitation, "letter": invitation.letter, "error": None}
    if request.method == "POST":
        try:
            invitation.accept(request.user)
        except InvitationEmailMismatch as error:
            context["error"] = error.messages[0]
            return render(request, "letters/organize/invitation.html", context, status=403)
        except ValidationError as error:
            context["error"] = error.messages[0]
            return render(request, "letters/organize/invitation.html", context, status=409)
        messages.success(request, _("Welcome: you now organize this letter."))
        return redirect("organize:dashboard", invitation.letter.slug)
    if not invitation.is_open:
        context["error"] = _(
            "This invitation was already used, was revoked, or has expired. "
            "Ask the letter's owner for a new one."
        )
        return render(request, "letters/organize/invitation.html", context, status=410)
    return render(request, "letters/organize/invitation.html", context)
