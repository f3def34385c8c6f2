from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LettersConfig(AppConfig):
    name = "letters"

    def ready(self):
        # Signals, not the methods that change letters: the admin, the workspace and the
        # lifecycle methods all save letters, and a cached copy must not survive any of them.
        for model in ["Letter", "Revision", "Translation"]:
            for signal in [post_save, post_delete]:
                signal.connect(forget_cached_letter, sender=f"letters.{model}")


def forget_cached_letter(sender, instance, **kwargs):
    """A letter, revision or translation changed: the cached letter for signing is stale."""
    from letters.models import Letter
    from letters.views import forget_letter_to_sign

    if isinstance(instance, Letter):
        forget_letter_to_sign(instance.slug)
        return
    # A revision or translation: its letter's slug, unless the letter is being deleted with it
    # (then the letter's own signal has forgotten it).
    slug = Letter.objects.filter(pk=instance.letter_id).values_list("slug", flat=True).first()
    if slug is not None:
        forget_letter_to_sign(slug)
