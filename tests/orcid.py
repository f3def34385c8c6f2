"""ORCID as the tests see it: its records, and logging in with it through allauth's callback.

ORCID itself is mocked at the HTTP boundary with `responses` (the `orcid` fixture, conftest.py).
"""

from urllib.parse import parse_qs, urlsplit

ORCID_ID = "0000-0002-1825-0097"


def employment(ror_id=None, name="Stanford University", country="US", ended=False):
    organization = {"name": name, "address": {"city": "Stanford", "country": country}}
    if ror_id:
        organization["disambiguated-organization"] = {
            "disambiguated-organization-identifier": f"https://ror.org/{ror_id}",
            "disambiguation-source": "ROR",
        }
    return {
        "summaries": [
            {
                "employment-summary": {
                    "organization": organization,
                    "role-title": "Professor",
                    "end-date": {"year": {"value": "2019"}} if ended else None,
                }
            }
        ]
    }


def orcid_record(*employments):
    return {
        "orcid-identifier": {"uri": f"https://orcid.org/{ORCID_ID}", "path": ORCID_ID},
        "person": {
            "name": {"given-names": {"value": "Josiah"}, "family-name": {"value": "Carberry"}},
            "emails": {"email": []},
        },
        "activities-summary": {"employments": {"affiliation-group": list(employments)}},
    }


def log_in_with_orcid(client, orcid, record, start="/accounts/orcid/login/?next=/letters/ai-risk/"):
    """Log in with ORCID as a browser does from the form posting to `start`, ORCID answering as
    `orcid` (a responses mock) is told. Returns the query of the authorize address allauth sent
    the browser to, and the address the login came back to (start's `next`)."""
    orcid.post(
        "https://pub.orcid.org/oauth/token",
        json={
            "access_token": "tok",
            "token_type": "bearer",
            "orcid": ORCID_ID,
            "name": "Josiah Carberry",
        },
    )
    orcid.get(f"https://pub.orcid.org/v3.0/{ORCID_ID}/record", json=record)
    started = client.post(start)
    assert started.status_code == 302
    authorize = urlsplit(started["Location"])
    assert (authorize.netloc, authorize.path) == ("orcid.org", "/oauth/authorize")
    asked = parse_qs(authorize.query)
    callback = client.get(
        "/accounts/orcid/login/callback/", {"code": "c0de", "state": asked["state"][0]}
    )
    assert callback.status_code == 302
    assert callback["Location"] == parse_qs(urlsplit(start).query)["next"][0]
    token_call = orcid.calls[-2].request
    assert "code=c0de" in token_call.body
    return asked, callback["Location"]
