"""Share cards: the PNG that social sites show beside a link to a letter."""

from io import BytesIO
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from config.cache import get_or_set
from config.db_router import read_from_replica
from config.http import public_cacheable
from letters.views import public_letter
from signatories.models import Signature

CARD_SIZE = (1200, 630)
MARGIN = 80
TITLE_SIZE = 64
TITLE_LINE_HEIGHT = 78
TITLE_MAX_LINES = 4
PAPER = "#fbfaf7"
INK = "#1b1f24"
MUTED = "#4a5360"
ACCENT = "#1d3f72"
# A card is rendered once per count; old counts' cards simply age out.
CARD_CACHE_SECONDS = 60 * 60 * 24


def font(size):
    # Pillow (about 4 MB in every web process) is imported only once a card is drawn: most
    # processes never draw one, and a drawn card is kept a day in the cache.
    from PIL import ImageFont

    # Pillow's built-in font, so a server needs no font files installed.
    return ImageFont.load_default(size=size)


def wrap(text, typeface, width, max_lines):
    """Lines of `text` no wider than `width`, the last ending in "…" if some did not fit."""
    lines = []
    for word in text.split():
        if lines and typeface.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
            continue
        # A word wider than the card (a long URL, a compound) is broken where it must be.
        while typeface.getlength(word) > width:
            cut = len(word) - 1
            while cut > 1 and typeface.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and typeface.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


def render_card(*, title, total, site):
    """The card as PNG bytes: the title, the confirmed count and where it comes from."""
    from PIL import Image, ImageDraw  # see font()

    image = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = CARD_SIZE
    draw.rectangle([0, 0, width, 16], fill=ACCENT)

    title_font = font(TITLE_SIZE)
    y = MARGIN
    for line in wrap(title, title_font, width - 2 * MARGIN, TITLE_MAX_LINES):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += TITLE_LINE_HEIGHT

    count = intcomma(total)
    count_font = font(96)
    baseline = height - 130
    draw.text((MARGIN, baseline), count, font=count_font, fill=ACCENT, anchor="ls")
    label = "confirmed signature" if total == 1 else "confirmed signatures"
    label_x = MARGIN + count_font.getlength(count) + 24
    draw.text((label_x, baseline), label, font=font(40), fill=INK, anchor="ls")

    draw.text((MARGIN, height - 56), site, font=font(30), fill=MUTED, anchor="ls")

    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def card_cache_key(letter, total):
    # The revision number changes with the title; the count changes as people sign.
    return f"letters:card:{letter.pk}:{letter.current_revision.number}:{total}"


@require_safe
@read_from_replica
def card(request, slug):
    letter = public_letter(slug)
    total = Signature.objects.counts_for(letter)["total"]
    site = f"Undersigned · {urlsplit(settings.SITE_URL).netloc}"
    png = get_or_set(
        card_cache_key(letter, total),
        lambda: render_card(title=letter.current_revision.title, total=total, site=site),
        CARD_CACHE_SECONDS,
    )
    response = HttpResponse(png, content_type="image/png")
    # Sites that isolate themselves (Cross-Origin-Embedder-Policy) may still show it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return public_cacheable(response, max_age=300, stale=3600)
