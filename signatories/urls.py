from django.urls import path

from signatories import manage, views

app_name = "signatories"

urlpatterns = [
    path("letters/<slug:slug>/sign/", views.sign, name="sign"),
    path("letters/<slug:slug>/check-email/", views.check_email, name="check_email"),
    path("letters/<slug:slug>/confirm/<path:token>/", views.confirm, name="confirm"),
    path("letters/<slug:slug>/manage/", manage.manage_request, name="manage_request"),
    path("letters/<slug:slug>/manage/sent/", manage.manage_requested, name="manage_requested"),
    path("letters/<slug:slug>/manage/withdrawn/", manage.withdrawn, name="withdrawn"),
    path("letters/<slug:slug>/manage/<str:token>/", manage.manage, name="manage"),
    path("letters/<slug:slug>/manage/<str:token>/saved/", manage.manage_saved, name="manage_saved"),
    path(
        "letters/<slug:slug>/manage/<str:token>/data.json", manage.manage_data, name="manage_data"
    ),
    path("letters/<slug:slug>/manage/<str:token>/withdraw/", manage.withdraw, name="withdraw"),
    path("letters/<slug:slug>/signatories/", views.signatory_list, name="list"),
    path("letters/<slug:slug>/signatories.csv", views.signatory_csv, name="csv"),
    path("letters/<slug:slug>/signatories.json", views.signatory_json, name="json"),
    path("letters/<slug:slug>/record/", views.record, name="record"),
    path("letters/<slug:slug>/record.json", views.record_manifest, name="record_manifest"),
    path("letters/<slug:slug>/record/<str:day>.csv", views.record_day, name="record_day"),
    path("organizations/", views.organization_search, name="organization_search"),
]
