from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from letters.admin import ReadOnlyAdmin
from letters.models import Letter
from signatories.models import (
    AbuseReport,
    BulkAction,
    Organization,
    OrganizationDomain,
    ReviewItem,
    Signature,
)
from signatories.organize_forms import ReasonForm
from signatories.safeguards import LIMIT_FIELDS, SharedNetwork, SiteSettings


def with_reason(description, *, prompt, done, button):
    """Wrap an admin action so it first asks for the reason it will record.

    `prompt` introduces the list of signatures; `done` reports, with %(count)d.
    """

    def decorator(apply):
        def action(modeladmin, request, queryset):
            form = ReasonForm(request.POST if "reason" in request.POST else None)
            if form.is_valid():
                for signature in queryset:
                    apply(signature, by=request.user, reason=form.cleaned_data["reason"])
                modeladmin.message_user(request, done % {"count": len(queryset)}, messages.SUCCESS)
                return None
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "prompt": prompt,
                "button": button,
                "form": form,
                "signatures": queryset,
                "action": request.POST["action"],
                "opts": modeladmin.model._meta,
            }
            return TemplateResponse(request, "admin/signatories/review_action.html", context)

        action.__name__ = apply.__name__
        return admin.action(description=description)(action)

    return decorator


@with_reason(
    _("Approve: verified by an organizer"),
    prompt=_("Approve these signatures:"),
    done=_("Approved %(count)d signature(s)."),
    button=_("Approve"),
)
def approve(signature, *, by, reason):
    signature.decide(approve=True, by=by, reason=reason)


@with_reason(
    _("Reject: keep unpublished"),
    prompt=_("Reject these signatures:"),
    done=_("Rejected %(count)d signature(s)."),
    button=_("Reject"),
)
def reject(signature, *, by, reason):
    signature.decide(approve=False, by=by, reason=reason)


@with_reason(
    _("Flag for review (unpublish until decided)"),
    prompt=_("Flag these signatures:"),
    done=_("Flagged %(count)d signature(s)."),
    button=_("Flag"),
)
def flag(signature, *, by, reason):
    signature.flag(by=by, reason=reason)


@admin.action(description=_("Mark notable (listed first; look-alike names are held)"))
def mark_notable(modeladmin, request, queryset):
    queryset.set_notable(True)


@admin.action(description=_("Unmark notable"))
def unmark_notable(modeladmin, request, queryset):
    queryset.set_notable(False)


class OrganizedLetterFilter(admin.SimpleListFilter):
    title = "letter"
    parameter_name = "letter"

    def lookups(self, request, model_admin):
        return [
            (str(letter.pk), letter.title) for letter in Letter.objects.organized_by(request.user)
        ]

    def queryset(self, request, queryset):
        return queryset.filter(letter_id=self.value()) if self.value() else queryset


class OrganizerScopedAdmin(admin.ModelAdmin):
    """An organizer sees and acts on the signatures of their own letters only."""

    def get_queryset(self, request):
        letters = Letter.objects.organized_by(request.user)
        return super().get_queryset(request).filter(letter__in=letters)

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active
            and request.user.is_staff
            and (
                obj is None
                or Letter.objects.organized_by(request.user).filter(pk=obj.letter_id).exists()
            )
        )

    has_change_permission = has_view_permission

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


SIGNATURE_READONLY = [
    "letter",
    "revision",
    "language",
    "name",
    "affiliation",
    "organization",
    "role",
    "comment",
    "public",
    "level",
    "orcid_id",
    "orcid_employment",
    "evidence_url",
    "review",
    "hold_reason",
    "review_reason",
    "reviewed_by",
    "reviewed_at",
    "signed_at",
    "confirmed_at",
    "withdrawn_at",
    "client_ip",
    "emails_requested",
    "emails_sent",
]


@admin.register(Signature)
class SignatureAdmin(OrganizerScopedAdmin):
    list_display = [
        "name",
        "affiliation",
        "letter",
        "level",
        "review",
        "notable",
        "public",
        "confirmed_at",
    ]
    list_filter = [OrganizedLetterFilter, "level", "review", "notable", "public"]
    search_fields = ["name", "affiliation"]
    list_select_related = ["letter"]
    readonly_fields = SIGNATURE_READONLY
    fields = SIGNATURE_READONLY
    actions = [approve, reject, flag, mark_notable, unmark_notable]
    show_full_result_count = False


@admin.register(ReviewItem)
class ReviewQueueAdmin(SignatureAdmin):
    """Held, flagged and manual-verification signatures awaiting an organizer's decision."""

    list_display = [
        "name",
        "affiliation",
        "role",
        "letter",
        "level",
        "review",
        "hold_reason",
        "evidence_link",
    ]
    list_filter = [OrganizedLetterFilter, "review"]
    actions = [approve, reject, mark_notable]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=Signature.objects.in_review_queue().values("pk"))
        )

    @admin.display(description="evidence")
    def evidence_link(self, signature):
        from django.utils.html import format_html

        if not signature.evidence_url:
            return ""
        return format_html(
            '<a href="{}" rel="noopener noreferrer nofollow">{}</a>', signature.evidence_url, "open"
        )


class OrganizationDomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "ror_id", "country_code", "status"]
    list_filter = ["status", "country_code"]
    search_fields = ["name", "ror_id", "domains__domain"]
    inlines = [OrganizationDomainInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Keep the display name findable by the affiliation matcher and autocomplete.
        organization = form.instance
        organization.set_names(organization.names.values_list("name", flat=True))


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """The kill switches and rate limits: one row, in force within seconds of saving."""

    fieldsets = [
        (
            _("Kill switches"),
            {"fields": ["signing_paused", "counting_paused", "challenge_required", "banner"]},
        ),
        (
            _("Rate limits (empty: the environment's default)"),
            {"fields": LIMIT_FIELDS},
        ),
    ]

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.save_and_apply()


@admin.register(SharedNetwork)
class SharedNetworkAdmin(admin.ModelAdmin):
    list_display = ["cidr", "description", "added_at"]
    search_fields = ["cidr", "description"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        SharedNetwork.forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        SharedNetwork.forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        SharedNetwork.forget()


@admin.register(BulkAction)
class BulkActionAdmin(ReadOnlyAdmin):
    list_display = ["letter", "reason", "by", "total", "done", "created_at", "finished_at"]
    list_filter = ["letter"]


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnlyAdmin):
    list_display = ["letter", "hour", "sent_at"]
    list_filter = ["letter"]
