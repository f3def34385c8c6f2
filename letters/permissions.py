"""What each organizer role may do, written down once and enforced by `organizer_required`.

| power              | owner | editor | reviewer |
| ------------------ | :---: | :----: | :------: |
| view_dashboard     |   ✓   |   ✓    |    ✓     |
| review             |   ✓   |   ✓    |    ✓     |
| edit               |   ✓   |   ✓    |          |
| publish            |   ✓   |   ✓    |          |
| moderate           |   ✓   |   ✓    |          |
| export             |   ✓   |   ✓    |          |
| manage_organizers  |   ✓   |        |          |
| manage_letter      |   ✓   |        |          |
| view_audit         |   ✓   |        |          |
| investigate        |   ✓   |        |          |

- review: decide on signatures in the review queue, flag, mark notable.
- edit: change the draft or the next revision's text, translations, closing time and goal.
- publish: publish the draft or the edited text as a new revision, email signers about it.
- moderate: hide and restore signatures, one at a time or in bulk.
- export: download every signature, emails included.
- manage_organizers: invite, change roles, remove co-organizers.
- manage_letter: close, reopen, archive; require two-factor authentication; kill switches.
- view_audit: read the letter's audit log.
- investigate: abuse reports and searches by client address; bulk invalidation.
"""

import functools

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from letters.models import Letter, Organizer

OWNER, EDITOR, REVIEWER = Organizer.Role.OWNER, Organizer.Role.EDITOR, Organizer.Role.REVIEWER

POWERS = {
    "view_dashboard": {OWNER, EDITOR, REVIEWER},
    "review": {OWNER, EDITOR, REVIEWER},
    "edit": {OWNER, EDITOR},
    "publish": {OWNER, EDITOR},
    "moderate": {OWNER, EDITOR},
    "export": {OWNER, EDITOR},
    "manage_organizers": {OWNER},
    "manage_letter": {OWNER},
    "view_audit": {OWNER},
    "investigate": {OWNER},
}


def role_may(role, power):
    return role in POWERS[power]


def powers_of(role):
    """The powers a role holds, for templates deciding which links to show."""
    return {power for power, roles in POWERS.items() if role in roles}


def two_factor_required(letter):
    return settings.ORGANIZERS_REQUIRE_TWO_FACTOR or letter.require_two_factor


def has_two_factor(user):
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user)


def two_factor_refusal(request, letter=None):
    """The 403 page that says how to turn on two-factor authentication, when the site (or the
    letter, if given) requires it and this user has none; else None."""
    required = two_factor_required(letter) if letter else settings.ORGANIZERS_REQUIRE_TWO_FACTOR
    if required and not has_two_factor(request.user):
        template = "letters/organize/two_factor_required.html"
        return TemplateResponse(request, template, {"letter": letter}, status=403)
    return None


def organizer_required(power):
    """Run the view only for an organizer of the letter named by `slug` who holds `power`.

    The view receives `letter` and `membership` (the Organizer row) instead of `slug`.
    Anonymous visitors are sent to log in. A signed-in person who does not organize the letter
    gets 404, so drafts stay secret; an organizer whose role lacks the power gets 403. When
    the letter (or the site) requires two-factor authentication, an organizer without it gets
    a 403 page that says how to turn it on.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            letter = get_object_or_404(Letter, slug=slug)
            membership = Organizer.objects.filter(letter=letter, user=request.user).first()
            if membership is None:
                raise Http404("No letter you organize has this address.")
            if not role_may(membership.role, power):
                raise PermissionDenied("Your role on this letter does not allow this.")
            refusal = two_factor_refusal(request, letter)
            if refusal is not None:
                return refusal
            request.organizer = membership
            return view(request, *args, letter=letter, membership=membership, **kwargs)

        wrapper.organizer_power = power
        return wrapper

    return decorator
