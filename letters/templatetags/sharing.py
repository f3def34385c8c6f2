"""Template helpers for what leaves the site: absolute links and the live count's pace."""

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def absolute(path):
    """The path as an absolute URL on SITE_URL.

    Share cards, feeds and embed snippets are read on other sites, where a relative link
    would point at the wrong host; the request's own host may be an internal address.
    """
    return settings.SITE_URL + path


@register.simple_tag
def live_count_interval():
    """Seconds between the letter page's count polls, before jitter."""
    return settings.LIVE_COUNT_INTERVAL_SECONDS
