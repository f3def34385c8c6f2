"""A letter's versions as its page shows them: the canonical text and unofficial translations."""

from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

# The notice on a translation names the language of the canonical text. A whole sentence per
# language, because how a sentence names a language depends on the language it is written in
# ("in English", "en anglais", "auf Englisch").
CANONICAL_NOTICES = {
    "en": _("Unofficial translation — the English text is the canonical version."),
    "fr": _("Unofficial translation — the French text is the canonical version."),
    "de": _("Unofficial translation — the German text is the canonical version."),
}
CANONICAL_LINKS = {
    "en": _("Read the canonical English text"),
    "fr": _("Read the canonical French text"),
    "de": _("Read the canonical German text"),
}


def version_context(letter):
    """What the letter page needs to show the version public_letter(slug, language=…) chose."""
    translation = letter.translation_shown()
    shown = translation.language if translation else letter.language
    return {
        # A translation and a revision both have a title, a summary and body_html.
        "text": translation or letter.current_revision,
        "text_language": shown,
        "translation": translation,
        "canonical_notice": CANONICAL_NOTICES[letter.language],
        "canonical_link": CANONICAL_LINKS[letter.language],
        "versions": [
            {
                "language": code,
                "name": get_language_info(code)["name_local"],
                "canonical": code == letter.language,
                "current": code == shown,
            }
            for code in letter.versions()
        ],
    }
