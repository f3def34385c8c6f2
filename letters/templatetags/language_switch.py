"""The language switcher's options, built once per process and language."""

import functools

from django import template
from django.conf import settings
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag
def language_options(current):
    """<option>s for every language the site speaks, `current` selected.

    Every page that is not a shared copy renders the switcher, and building it with
    get_language_info_list and a loop took a sixth of the base template's time.
    """
    return options(current, tuple(code for code, _ in settings.LANGUAGES))


@functools.cache
def options(current, codes):
    return format_html_join(
        "\n",
        '<option value="{}" lang="{}"{}>{}</option>',
        (
            (code, code, mark_safe(" selected") if code == current else "", name)
            for code in codes
            for name in [capfirst(get_language_info(code)["name_local"])]
        ),
    )
