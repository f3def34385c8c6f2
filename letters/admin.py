from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from letters.models import AuditEvent, Letter, Revision, Translation


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "title", "change_note", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TranslationFormSet(BaseInlineFormSet):
    """Translations may only name this letter's own revisions; a new one starts on the current."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        revision = form.fields["revision"]
        revision.queryset = Revision.objects.filter(letter_id=self.instance.pk)
        revision.initial = self.instance.current_revision_id


class TranslationInline(admin.StackedInline):
    model = Translation
    formset = TranslationFormSet
    extra = 0
    fields = ["revision", "language", "title", "summary", "body"]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "language", "status", "published_at", "closes_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at", "current_revision"]
    inlines = [RevisionInline, TranslationInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Translation:
            return super().save_formset(request, form, formset, change)
        for translation in formset.save(commit=False):
            translation.render()
            translation.save()
        for translation in formset.deleted_objects:
            translation.delete()
        return None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the site keeps about what happened: operators read them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "letter", "actor_label", "action", "target_label"]
    list_filter = ["action", "letter"]
    search_fields = ["actor_label", "target_label"]
