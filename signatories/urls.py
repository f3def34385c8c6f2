from django.urls import path

from signatories import views

app_name = "signatories"

urlpatterns = [
    path("letters/<slug:slug>/sign/", views.sign, name="sign"),
    path("letters/<slug:slug>/check-email/", views.check_email, name="check_email"),
    path("letters/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("letters/<slug:slug>/signatories/", views.signatory_list, name="list"),
    path("letters/<slug:slug>/signatories.csv", views.signatory_csv, name="csv"),
    path("organizations/", views.organization_search, name="organization_search"),
]
