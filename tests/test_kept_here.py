"""config.cache.KeptHere: what one process looked up, used for a second."""

import pytest

from config.cache import KeptHere


def loader(key, loads):
    def load():
        loads.append(key)
        return key.upper()

    return load


def test_a_value_is_looked_up_once_a_second(settings, held_clock):
    settings.SHARED_PAGE_LOCAL_SECONDS = 0.2
    kept, loads = KeptHere(size=4), []

    values = [kept.get("a", loader("a", loads)) for _ in range(3)]
    held_clock.advance(0.25)
    values.append(kept.get("a", loader("a", loads)))

    assert values == ["A"] * 4
    assert loads == ["a", "a"]


def test_a_full_store_forgets_all_it_kept():
    kept, loads = KeptHere(size=2), []

    for key in ["a", "b", "a", "c", "a", "c"]:
        kept.get(key, loader(key, loads))

    assert loads == ["a", "b", "c", "a"]


def test_a_failed_lookup_is_not_kept():
    kept = KeptHere(size=2)

    def missing():
        raise LookupError("not yet")

    with pytest.raises(LookupError):
        kept.get("a", missing)

    assert kept.get("a", lambda: "found") == "found"
