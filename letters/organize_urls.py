"""The organizer's workspace, under /organize/. Every view is guarded by `organizer_required`
(letters/permissions.py), except the list of one's own letters and creating a new one."""

from django.urls import path

from letters import organize
from signatories import investigation_views

app_name = "organize"

urlpatterns = [
    path("", organize.my_letters, name="my_letters"),
    path("<slug:slug>/", organize.dashboard, name="dashboard"),
    path("<slug:slug>/investigate/", investigation_views.investigate, name="investigate"),
    path("<slug:slug>/investigate/hide/", investigation_views.bulk_hide, name="bulk_hide"),
    path(
        "<slug:slug>/investigate/bulk/<int:action_id>/",
        investigation_views.bulk_action,
        name="bulk_action",
    ),
]
