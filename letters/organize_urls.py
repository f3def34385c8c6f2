"""The organizer's workspace, under /organize/. Every view is guarded by `organizer_required`
(letters/permissions.py), except the list of one's own letters, starting a new one, and
accepting an invitation (which needs only a login)."""

from django.urls import path

from letters import audit, drafting, lifecycle, organize, organizers
from signatories import exports, investigation_views, moderation, review

app_name = "organize"

# "new" and "invitations" are reserved slugs (letters.forms.RESERVED_SLUGS).
urlpatterns = [
    path("", organize.my_letters, name="my_letters"),
    path("new/", drafting.new_letter, name="new"),
    path("invitations/<str:token>/", organizers.accept_invitation, name="accept_invitation"),
    path("<slug:slug>/", organize.dashboard, name="dashboard"),
    path("<slug:slug>/edit/", drafting.edit, name="edit"),
    path(
        "<slug:slug>/preview-link/",
        drafting.regenerate_preview_link,
        name="regenerate_preview_link",
    ),
    path("<slug:slug>/publish/", lifecycle.publish, name="publish"),
    path("<slug:slug>/close/", lifecycle.close, name="close"),
    path("<slug:slug>/reopen/", lifecycle.reopen, name="reopen"),
    path("<slug:slug>/archive/", lifecycle.archive, name="archive"),
    path("<slug:slug>/settings/", lifecycle.letter_settings, name="settings"),
    path("<slug:slug>/organizers/", organizers.organizer_list, name="organizers"),
    path("<slug:slug>/organizers/invite/", organizers.invite, name="invite"),
    path("<slug:slug>/organizers/leave/", organizers.leave, name="leave"),
    path("<slug:slug>/organizers/<int:pk>/role/", organizers.change_role, name="change_role"),
    path("<slug:slug>/organizers/<int:pk>/remove/", organizers.remove, name="remove_organizer"),
    path(
        "<slug:slug>/invitations/<int:pk>/revoke/",
        organizers.revoke_invitation,
        name="revoke_invitation",
    ),
    path("<slug:slug>/investigate/", investigation_views.investigate, name="investigate"),
    path("<slug:slug>/investigate/hide/", investigation_views.bulk_hide, name="bulk_hide"),
    path(
        "<slug:slug>/investigate/bulk/<int:action_id>/",
        investigation_views.bulk_action,
        name="bulk_action",
    ),
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
