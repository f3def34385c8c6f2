from django.urls import path

from letters import views

app_name = "letters"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<slug:slug>/", views.detail, name="detail"),
    path("how-we-verify/", views.how_we_verify, name="how_we_verify"),
    path("privacy/", views.privacy, name="privacy"),
]
