from django.contrib import admin
from django.urls import include, path

from letters import api, views

urlpatterns = [
    path("", include("letters.urls")),
    path("", include("signatories.urls")),
    path("api/v1/letters/", api.letter_list, name="api_letters"),
    path("api/v1/letters/<slug:slug>/", api.letter_detail, name="api_letter"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
