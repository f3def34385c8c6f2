import pytest

from signatories.names import names_match


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Geoffrey Hinton", "geoffrey hinton"),
        ("Geoffrey Hinton", "  GEOFFREY   HINTON "),
        ("Yoshua Bengio", "Yoshuá Béngio"),
        ("Geoffrey Hinton", "G. Hinton"),
        ("Geoffrey E. Hinton", "G E Hinton"),
        ("Geoffrey Hinton", "Hinton, Geoffrey"),
        ("Geoffrey Hinton", "Prof. Dr. Geoffrey Hinton"),
        ("Jean-Luc Picard", "Jean Luc Picard"),
    ],
)
def test_names_that_match(a, b):
    assert names_match(a, b)
    assert names_match(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jane Smith", "John Smith"),
        ("Geoffrey Hinton", "Geoffrey Hintonn"),
        ("Ada Lovelace", "Ada King"),
        ("", "Someone"),
        ("!!!", "!!!"),
    ],
)
def test_names_that_do_not_match(a, b):
    assert not names_match(a, b)
