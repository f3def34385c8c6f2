"""What a signer's ORCID login tells us: their iD, name, and current employments."""

from allauth.socialaccount.models import SocialAccount

from signatories.models import fold


def orcid_account(user):
    if not user.is_authenticated:
        return None
    return SocialAccount.objects.filter(user=user, provider="orcid").first()


def dig(data, *path):
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def record_name(record):
    given = dig(record, "person", "name", "given-names", "value") or ""
    family = dig(record, "person", "name", "family-name", "value") or ""
    return " ".join(f"{given} {family}".split())


def current_employments(record):
    """Employment summaries without an end date, from an ORCID v3.0 record."""
    groups = dig(record, "activities-summary", "employments", "affiliation-group") or []
    for group in groups:
        for summary in dig(group, "summaries") or []:
            employment = dig(summary, "employment-summary")
            if isinstance(employment, dict) and not employment.get("end-date"):
                yield employment


def employs(record, organization):
    """True when the record lists a current employment at `organization`.

    By ROR id when the employment names one; otherwise by name (or alias) and country.
    """
    if organization is None:
        return False
    names = {fold(n) for n in organization.names.values_list("name", flat=True)} | {
        fold(organization.name)
    }
    for employment in current_employments(record):
        org = employment.get("organization") or {}
        disambiguated = org.get("disambiguated-organization") or {}
        if (disambiguated.get("disambiguation-source") or "").upper() == "ROR":
            identifier = (disambiguated.get("disambiguated-organization-identifier") or "").rstrip(
                "/"
            )
            if organization.ror_id and identifier.rsplit("/", 1)[-1] == organization.ror_id:
                return True
            continue
        country = (dig(org, "address", "country") or "").upper()
        if fold(org.get("name") or "") in names and country == organization.country_code.upper():
            return True
    return False
