import pytest
from django.core.management import call_command

from letters.models import Letter
from signatories.models import Organization, Signature

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(
            Letter.objects.values_list("slug", "status", "current_revision__number").order_by(
                "slug"
            )
        ),
        list(
            Signature.objects.values_list("email_canonical", "level", "confirmed_at").order_by("id")
        ),
        Organization.objects.count(),
    )


def test_demo_seeds_letters_levels_and_an_organizer_and_is_idempotent(capsys, django_user_model):
    call_command("demo", no_serve=True)
    first = snapshot()
    call_command("demo", no_serve=True)

    assert snapshot() == first
    letters = dict((slug, status) for slug, status, _ in first[0])
    assert letters == {"ai-risk-assessment": "published", "open-evaluation-data": "closed"}
    assert {level for _, level, _ in first[1]} == {"confirmed", "domain", "orcid", "organizer"}
    assert first[2] >= 5
    organizer = django_user_model.objects.get(username="organizer")
    assert organizer.check_password("undersigned-demo")
    output = capsys.readouterr().out
    assert "as organizer@example.org, password 'undersigned-demo'" in output
    assert organizer.emailaddress_set.get().verified
    assert "0 new rows" in output
