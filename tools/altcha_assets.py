"""Write the ALTCHA widget's stylesheet and worker out of django-altcha's bundled script.

The bundled altcha.min.js injects a <style> element and starts its worker from a blob: URL,
both of which our CSP forbids (no unsafe-inline, workers from 'self' only). The script skips
its own stylesheet when an element with id "__altcha-css" exists, and takes a worker URL, so we
serve both as static files. Run after upgrading django-altcha:

    uv run python -m tools.altcha_assets

tests/signatories/test_challenge.py fails when the files no longer match the package.
"""

import json
import re
from pathlib import Path

import django_altcha

BUNDLE = Path(django_altcha.__file__).parent / "static" / "altcha" / "altcha.min.js"
OUTPUT = Path(__file__).resolve().parent.parent / "static" / "altcha"


def js_string(source, name):
    """The value of `const … name='…'` (a single-quoted JavaScript string) in `source`."""
    match = re.search(rf"\b{name}='((?:[^'\\]|\\.)*)'", source, re.DOTALL)
    if match is None:
        raise SystemExit(f"{name} not found in {BUNDLE}: the bundle changed; read it again.")
    # The minifier escapes only quotes, backslashes and line breaks, as JSON does.
    return json.loads('"' + match.group(1).replace("\\'", "'").replace('"', '\\"') + '"')


def assets():
    """{file name: content} extracted from the installed bundle."""
    source = BUNDLE.read_text()
    css_name = re.search(r"Ho\((\w+)\),Ho\(\1\)", source) or re.search(
        r"function (\w+)\(e,t=\"__altcha-css\"\).*?\b\1\((\w+)\)", source, re.DOTALL
    )
    if css_name is None:
        raise SystemExit(f"The stylesheet is no longer found in {BUNDLE}; read it again.")
    worker_name = re.search(r"new Blob\(\[[^\]]*?,(\w+)\]", source)
    if worker_name is None:
        raise SystemExit(f"The worker is no longer found in {BUNDLE}; read it again.")
    return {
        "altcha.css": js_string(source, css_name.group(css_name.lastindex)),
        "worker.js": js_string(source, worker_name.group(1)),
    }


def main():
    OUTPUT.mkdir(exist_ok=True)
    for name, content in assets().items():
        (OUTPUT / name).write_text(content)
        print(f"wrote {OUTPUT / name} ({len(content)} characters)")


if __name__ == "__main__":
    main()
