import pytest

from signatories.addresses import canonical_email


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("Ada.Lovelace@Example.org", "ada.lovelace@example.org"),
        ("ada+letters@example.org", "ada@example.org"),
        ("ada+a+b@example.org", "ada@example.org"),
        ("A.D.A+x@gmail.com", "ada@gmail.com"),
        ("ada@googlemail.com", "ada@gmail.com"),
        ("a.da@GoogleMail.COM", "ada@gmail.com"),
        ("ada.lovelace@example.org", "ada.lovelace@example.org"),
        ("+tag@example.org", "+tag@example.org"),
        ("ada@exämple.org", "ada@xn--exmple-cua.org"),
        ("ada@example.org.", "ada@example.org"),
    ],
)
def test_variants_of_one_inbox_share_one_canonical_form(address, canonical):
    assert canonical_email(address) == canonical


@pytest.mark.django_db(transaction=True)
def test_canonical_variants_make_one_signature(client, letter):
    from signatories.models import Signature
    from tests.builders import sign_data

    for email in ["ada.quinn@gmail.com", "AdaQuinn+x@googlemail.com", "a.d.a.quinn@gmail.com"]:
        assert client.post("/letters/ai-risk/sign/", sign_data(email=email)).status_code == 303

    assert Signature.objects.count() == 1
