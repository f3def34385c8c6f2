from django.contrib import admin

from letters.models import Letter, Revision


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "title", "change_note", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "status", "published_at", "closes_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at", "current_revision"]
    inlines = [RevisionInline]
