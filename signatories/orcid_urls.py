"""allauth's ORCID login and callback, answering 404 (not 500) on a site without ORCID set up."""

import functools

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.orcid import views
from django.http import Http404
from django.urls import path


def only_when_configured(view):
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SocialApp.DoesNotExist:
            # allauth raises this when no ORCID client is configured (ORCID_CLIENT_ID).
            raise Http404("ORCID login is not set up on this site.") from None

    return guarded


# Listed before allauth's own URLs, under the same paths and names, so these answer first.
urlpatterns = [
    path("orcid/login/", only_when_configured(views.oauth2_login), name="orcid_login"),
    path(
        "orcid/login/callback/",
        only_when_configured(views.oauth2_callback),
        name="orcid_callback",
    ),
]
