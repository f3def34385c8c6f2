from django.urls import path

from letters import drafting, history, lifecycle, views

app_name = "letters"

urlpatterns = [
    path("", views.index, name="index"),
    path("letters/<slug:slug>/", views.detail, name="detail"),
    path("how-we-verify/", views.how_we_verify, name="how_we_verify"),
    path("letters/<slug:slug>/preview/<str:token>/", drafting.preview, name="preview"),
    path("letters/<slug:slug>/history/", history.history, name="history"),
    path("letters/<slug:slug>/history/compare/", history.compare, name="compare"),
    path("letters/<slug:slug>/history/<int:old>..<int:new>/", history.diff, name="diff"),
    path("letters/<slug:slug>/unsubscribe/<str:token>/", lifecycle.unsubscribe, name="unsubscribe"),
]
