"""What supporters put on their own sites: the counter widget (an iframe) and the SVG badge.

These are the only responses other origins may frame or fetch; every other page keeps the
site-wide frame-ancestors 'none' and X-Frame-Options: DENY against clickjacking.
"""

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from config.http import allow_any_origin, public_cacheable
from letters.views import public_letter
from signatories.models import Signature

# The site's own policy, except that any site may frame the widget: that is its purpose.
EMBED_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["*"]}
# An SVG opened on its own is a document that could run script; this one needs nothing at all.
BADGE_CSP = {"default-src": [CSP.NONE], "frame-ancestors": [CSP.NONE], "sandbox": True}

BADGE_LABEL = _("signatures")
BADGE_HEIGHT = 20
BADGE_PADDING = 6
# Approximate advance widths in Verdana 11px, the badge font; textLength then makes the
# rendered text fit exactly whatever font the viewer has.
NARROW = set("fijlrt.,:;'!|() ")
WIDE = set("mwMW")


def embed_cacheable(response):
    # A minute fresh, then served stale for five more while a cache refetches: a badge on a
    # busy page costs about one request a minute per cache, and never shows a broken image.
    return public_cacheable(response, max_age=60, stale=300)


def text_width(text):
    return sum(4 if c in NARROW else 10 if c in WIDE else 7 for c in text)


@require_safe
@xframe_options_exempt
@csp_override(EMBED_CSP)
def embed(request, slug):
    letter = public_letter(slug)
    context = {
        "letter": letter,
        "revision": letter.current_revision,
        "counts": Signature.objects.counts_for(letter),
        "accepts_signatures": letter.accepts_signatures(),
    }
    return embed_cacheable(render(request, "letters/embed.html", context))


@require_safe
@csp_override(BADGE_CSP)
def badge(request, slug):
    letter = public_letter(slug)
    total = Signature.objects.counts_for(letter)["total"]
    value = intcomma(total)
    label = str(BADGE_LABEL)
    label_width = text_width(label) + 2 * BADGE_PADDING
    value_width = text_width(value) + 2 * BADGE_PADDING
    context = {
        "title": letter.current_revision.title,
        "total": total,
        "label": label,
        "value": value,
        "height": BADGE_HEIGHT,
        "label_width": label_width,
        "value_width": value_width,
        "width": label_width + value_width,
        "label_text_width": label_width - 2 * BADGE_PADDING,
        "value_text_width": value_width - 2 * BADGE_PADDING,
        "label_x": label_width / 2,
        "value_x": label_width + value_width / 2,
    }
    # The template escapes every value for XML: a title like "R&D <now>" must not break it.
    svg = render_to_string("letters/badge.svg", context)
    response = HttpResponse(svg, content_type="image/svg+xml")
    # Sites that isolate themselves (Cross-Origin-Embedder-Policy) may still show it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return allow_any_origin(embed_cacheable(response))
