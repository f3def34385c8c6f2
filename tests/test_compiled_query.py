"""CompiledQuery: a queryset compiled once, run with each call's values in their places."""

import pytest
from django.db.models import F

from config.queries import CompiledQuery
from signatories.models import Level, Signature
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db


def by_letter_and_level(letter_id, level):
    return Signature.objects.live().filter(letter_id=letter_id, level=level).order_by("pk")


def test_each_call_returns_what_the_queryset_returns(letter):
    other = make_letter(slug="other-letter")
    rows = [
        make_signature(letter, level=Level.CONFIRMED),
        make_signature(letter, level=Level.PENDING),
        make_signature(letter, level=Level.CONFIRMED),
        make_signature(other, level=Level.CONFIRMED),
    ]
    Signature.objects.filter(pk=rows[2].pk).update(withdrawn_at=rows[2].signed_at)
    query = CompiledQuery(by_letter_and_level, letter_id=int, level=str)

    for letter_id in [letter.pk, other.pk, 0]:
        for level in [Level.CONFIRMED, Level.PENDING, "nonsense"]:
            expected = list(by_letter_and_level(letter_id, level))
            found = list(query(letter_id=letter_id, level=level))
            assert [(s.pk, s.name, s.email) for s in found] == [
                (s.pk, s.name, s.email) for s in expected
            ]


def test_it_is_built_and_compiled_once(letter):
    built = []

    def build(pk):
        built.append(pk)
        return Signature.objects.filter(pk=pk).only("name")

    signature = make_signature(letter, name="Ada Quinn")
    query = CompiledQuery(build, pk=int)

    names = [
        [s.name for s in query(pk=pk)] for pk in [signature.pk, signature.pk + 1, signature.pk]
    ]

    assert names == [["Ada Quinn"], [], ["Ada Quinn"]]
    # Once to learn the model, once to compile; never with a caller's value.
    assert len(built) == 2 and signature.pk not in built


def test_an_integer_beyond_64_bits_matches_nothing(letter):
    make_signature(letter)
    query = CompiledQuery(lambda pk: Signature.objects.filter(pk=pk), pk=int)

    assert list(query(pk=2**63)) == [] and list(query(pk=-(2**63) - 1)) == []


def test_none_and_unknown_arguments_are_refused(letter):
    query = CompiledQuery(lambda pk: Signature.objects.filter(pk=pk), pk=int)

    with pytest.raises(ValueError, match="IS NULL"):
        query(pk=None)
    with pytest.raises(TypeError, match="expected arguments"):
        query(id=1)
    with pytest.raises(TypeError, match="'pk' must be int"):
        query(pk=True)


def test_a_field_too_small_for_the_stand_in_is_refused_when_compiling(letter):
    query = CompiledQuery(lambda n: Signature.objects.filter(emails_requested=n), n=int)

    with pytest.raises(ValueError, match="cannot hold every value"):
        query(n=1)


def test_an_argument_the_orm_rewrites_is_refused_when_compiling(letter):
    query = CompiledQuery(lambda name: Signature.objects.filter(name__contains=name), name=str)

    with pytest.raises(ValueError, match="'name' is not one value compared for equality"):
        query(name="Ada")


def test_rows_come_back_as_the_orm_makes_them(letter):
    signature = make_signature(letter, name="Ada Quinn", level=Level.CONFIRMED)
    query = CompiledQuery(
        lambda pk: Signature.objects.filter(pk=pk).only("name", "signed_at"), pk=int
    )

    (found,) = query(pk=signature.pk)
    expected = Signature.objects.only("name", "signed_at").get(pk=signature.pk)

    # The backend's converters ran: SQLite hands datetimes over as text.
    assert found.signed_at == expected.signed_at and found.signed_at.tzinfo is not None
    assert (found.pk, found.name, found.get_deferred_fields()) == (
        expected.pk,
        expected.name,
        expected.get_deferred_fields(),
    )
    assert found._state.adding is False and found._state.db == "default"


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Signature.objects.select_related("letter").filter(pk=pk),
        lambda pk: Signature.objects.annotate(twice=F("emails_requested") * 2).filter(pk=pk),
        lambda pk: Signature.objects.filter(pk=pk).values("name"),
        lambda pk: Signature.objects.filter(pk=pk).values(),
        lambda pk: Signature.objects.filter(pk=pk).values_list("name", flat=True),
        # Its column comes before the model's: from_db() would take it for the first field.
        lambda pk: Signature.objects.filter(pk=pk).extra(select={"one": "1"}),  # noqa: S610
    ],
    ids=["select_related", "annotate", "values", "all values", "values_list", "extra"],
)
def test_a_query_selecting_more_or_other_than_its_model_is_refused(letter, build):
    query = CompiledQuery(build, pk=int)

    with pytest.raises(ValueError, match="its model's own columns"):
        query(pk=1)
