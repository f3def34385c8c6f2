"""Letter text: CommonMark in, sanitised HTML out.

Raw HTML in the Markdown is escaped by the parser, and the result is cleaned again by nh3
with a short allow-list, so a letter can never carry script, styles or event handlers.
"""

from functools import cache

import nh3


@cache
def _parser():
    # Imported here: only organizers' edits render Markdown (public pages show the stored HTML),
    # and markdown-it's 60 modules would otherwise stay in every web worker (about 1 MB).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable(
        ["table", "strikethrough", "replacements", "smartquotes"]
    )


ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text):
    html = _parser().render(text or "")
    # A letter's own title is the page's h1, so headings in the body start at h2.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
