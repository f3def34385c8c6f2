"""Comparing people's names the way an impersonator would vary them.

"Dr. Geoffrey  Hintón", "geoffrey hinton" and "G. Hinton" all compare equal to
"Geoffrey Hinton": case, accents, spacing, titles and initials are normalised away.
"""

import re
import unicodedata

TITLES = {"dr", "prof", "professor", "sir", "dame", "mr", "mrs", "ms", "mx", "phd", "jr", "sr"}


def name_tokens(name):
    if name.count(",") == 1:  # "Hinton, Geoffrey"
        last, first = name.split(",")
        name = f"{first} {last}"
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    tokens = re.sub(r"[^\w]+", " ", letters).split()
    return [t for t in tokens if t not in TITLES]


def name_keys(name):
    """(full key, initials key) for a name; the initials key keeps the last name whole."""
    tokens = name_tokens(name)
    if not tokens:
        return "", ""
    initials = [t[0] for t in tokens[:-1]] + [tokens[-1]]
    return " ".join(tokens), " ".join(initials)


def is_abbreviated(name):
    tokens = name_tokens(name)
    return any(len(t) == 1 for t in tokens[:-1])


def names_match(a, b):
    """Same person by name: equal keys, or equal initials when either name abbreviates."""
    key_a, initials_a = name_keys(a)
    key_b, initials_b = name_keys(b)
    if not key_a or not key_b:
        return False
    if key_a == key_b:
        return True
    return initials_a == initials_b and (is_abbreviated(a) or is_abbreviated(b))
