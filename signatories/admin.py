from django.contrib import admin

from signatories.models import Organization, OrganizationDomain, Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "letter", "level", "public", "signed_at", "confirmed_at"]
    list_filter = ["level", "public", "letter"]
    search_fields = ["name", "affiliation", "email_canonical"]
    list_select_related = ["letter"]
    readonly_fields = [
        "email_canonical",
        "signed_at",
        "confirmed_at",
        "client_ip",
        "emails_requested",
        "emails_sent",
        "revision",
    ]
    show_full_result_count = False


class OrganizationDomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "ror_id", "country_code", "status"]
    list_filter = ["status", "country_code"]
    search_fields = ["name", "ror_id", "domains__domain"]
    inlines = [OrganizationDomainInline]
