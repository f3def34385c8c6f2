from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from config.http import csrf_by_origin
from letters import accounts, api, cards, counts_api, embeds, feeds, openapi, views
from signatories import api as signatories_api

# The admin logs in through allauth, so a second factor cannot be skipped there
# (config/admin_security.py).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("letters.urls")),
    path("", include("signatories.urls")),
    path("feed/", feeds.NewLettersFeed(), name="feed"),
    path("letters/<slug:slug>/feed/", feeds.LetterFeed(), name="letter_feed"),
    path("letters/<slug:slug>/embed/", embeds.embed, name="letter_embed"),
    path("letters/<slug:slug>/badge.svg", embeds.badge, name="letter_badge"),
    path("letters/<slug:slug>/card.png", cards.card, name="letter_card"),
    path("api/v1/letters/<str:slug>/count", counts_api.letter_count, name="api_letter_count"),
    path("api/v1/openapi.json", openapi.openapi, name="openapi"),
    path("api/v1/letters/", api.letter_list, name="api_letters"),
    path("api/v1/letters/<str:slug>/", api.letter_detail, name="api_letter"),
    path(
        "api/v1/letters/<str:slug>/signatories/",
        signatories_api.signatory_list,
        name="api_signatories",
    ),
    # set_language: the header's language switcher posts here (no JavaScript needed). Shared
    # pages carry no CSRF token, so the browser's Sec-Fetch-Site or Origin vouches for it.
    path("i18n/setlang/", csrf_by_origin(set_language), name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("organize/", include("letters.organize_urls")),
    path("accounts/delete/", accounts.delete, name="account_delete"),
    path("accounts/", include("signatories.orcid_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# A lost database connection answers 503 "try again" instead of the 500 page (config/errors.py).
handler500 = "config.errors.server_error_or_unavailable"
