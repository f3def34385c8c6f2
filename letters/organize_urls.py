"""The organizer's workspace, under /organize/. Every view is guarded by `organizer_required`
(letters/permissions.py), except the list of one's own letters and creating a new one."""

from django.urls import path

from letters import organize

app_name = "organize"

urlpatterns = [
    path("", organize.my_letters, name="my_letters"),
    path("<slug:slug>/", organize.dashboard, name="dashboard"),
]
