"""The organizer's workspace, under /organize/. Every view is guarded by `organizer_required`
(letters/permissions.py), except the list of one's own letters and creating a new one."""

from django.urls import path

from letters import audit, organize
from signatories import exports, moderation, review

app_name = "organize"

urlpatterns = [
    path("", organize.my_letters, name="my_letters"),
    path("<slug:slug>/", organize.dashboard, name="dashboard"),
    path("<slug:slug>/digest/", organize.daily_digest, name="daily_digest"),
    path("<slug:slug>/review/", review.review_queue, name="review_queue"),
    path("<slug:slug>/review/<int:signature_id>/decide/", review.decide, name="decide"),
    path("<slug:slug>/signatures/<int:signature_id>/flag/", review.flag, name="flag"),
    path("<slug:slug>/signatures/<int:signature_id>/notable/", review.notable, name="notable"),
    path("<slug:slug>/signatures/", moderation.signature_list, name="signatures"),
    path("<slug:slug>/signatures/<int:signature_id>/hide/", moderation.hide, name="hide"),
    path("<slug:slug>/signatures/<int:signature_id>/restore/", moderation.restore, name="restore"),
    path("<slug:slug>/export/signatures.csv", exports.export_csv, name="export_csv"),
    path("<slug:slug>/export/signatures.json", exports.export_json, name="export_json"),
    path("<slug:slug>/audit/", audit.audit_log, name="audit_log"),
]
