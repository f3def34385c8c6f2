from django.urls import path

from signatories import views

app_name = "signatories"

urlpatterns = [
    path("letters/<slug:slug>/sign/", views.sign, name="sign"),
    path("letters/<slug:slug>/check-email/", views.check_email, name="check_email"),
    path("letters/<slug:slug>/confirm/<path:token>/", views.confirm, name="confirm"),
    path("letters/<slug:slug>/signatories/", views.signatory_list, name="list"),
    path("letters/<slug:slug>/signatories.csv", views.signatory_csv, name="csv"),
    path("letters/<slug:slug>/signatories.json", views.signatory_json, name="json"),
    path("letters/<slug:slug>/record/", views.record, name="record"),
    path("letters/<slug:slug>/record.json", views.record_manifest, name="record_manifest"),
    path("letters/<slug:slug>/record/<str:day>.csv", views.record_day, name="record_day"),
    path("organizations/", views.organization_search, name="organization_search"),
]
