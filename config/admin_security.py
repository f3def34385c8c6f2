"""The admin behind allauth's login and, where organizers need it, a second factor.

Django's own admin login form checks only a password, so it would skip the second factor that
allauth asks for; `secure_admin_login` sends it to allauth's login instead (see config/urls.py).
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from letters.permissions import has_two_factor


class AdminTwoFactorMiddleware:
    """Send a staff member without two-factor authentication from the admin to set it up.

    On when ORGANIZERS_REQUIRE_TWO_FACTOR is (production): the admin can do everything an
    organizer can and more, so it needs at least the same protection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.ORGANIZERS_REQUIRE_TWO_FACTOR and self.needs_second_factor(request):
            messages.warning(
                request, _("Turn on two-factor authentication to use the administration.")
            )
            return redirect("mfa_index")
        return self.get_response(request)

    @staticmethod
    def needs_second_factor(request):
        path = request.path_info
        if not path.startswith(reverse("admin:index")) or path == reverse("admin:logout"):
            return False
        user = request.user
        return user.is_authenticated and user.is_staff and not has_two_factor(user)
