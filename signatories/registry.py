"""Reading ROR registry records (schema v2) into our organization rows."""

import contextlib
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path

import ijson
from django.db import transaction

from signatories.domains import is_shared, normalise_domain, website_domain
from signatories.models import Organization, OrganizationDomain, OrganizationName, fold


@dataclass
class RegistryRecord:
    ror_id: str
    name: str
    country_code: str
    types: list
    status: str
    website: str
    names: dict  # folded -> display
    domains: set

    @classmethod
    def from_ror(cls, record):
        ror_id = record["id"].rstrip("/").rsplit("/", 1)[-1]
        names = [n for n in record.get("names", []) if n.get("value")]
        display = next((n["value"] for n in names if "ror_display" in n.get("types", [])), None)
        display = display or (names[0]["value"] if names else ror_id)
        websites = [
            link["value"] for link in record.get("links", []) if link.get("type") == "website"
        ]
        domains = {normalise_domain(d) for d in record.get("domains") or []}
        # ROR's `domains` is often empty; the website's domain usually says the same.
        domains |= {website_domain(url) for url in websites}
        locations = record.get("locations") or [{}]
        country = (locations[0].get("geonames_details") or {}).get("country_code") or ""
        folded = {}
        for name in [display, *(n["value"] for n in names)]:
            folded.setdefault(fold(name), " ".join(name.split())[:300])
        return cls(
            ror_id=ror_id,
            name=" ".join(display.split())[:300],
            country_code=country[:2],
            types=sorted(record.get("types") or []),
            status=record.get("status") or "active",
            website=(websites[0] if websites else "")[:500],
            names=folded,
            domains={d for d in domains if d and not is_shared(d)},
        )

    def fields(self):
        return {
            "name": self.name,
            "country_code": self.country_code,
            "types": self.types,
            "status": self.status,
            "website": self.website,
        }


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list = field(default_factory=list)

    @property
    def total(self):
        return self.created + self.updated + self.unchanged


@contextlib.contextmanager
def open_dump(path):
    """The dump's JSON as a binary stream, from a .json file or the .zip ROR ships."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".json")]
            # Dumps carry a v2 file and, until 2025, a v1 file beside it.
            members.sort(key=lambda m: ("schema_v2" not in m, "schema_v1" in m, m))
            if not members:
                raise ValueError(f"{path} holds no .json file.")
            with archive.open(members[0]) as stream:
                yield stream
    else:
        with path.open("rb") as stream:
            yield stream


class DumpError(ValueError):
    """The file is not a ROR dump we can read."""


def read_records(stream, skipped=None):
    """RegistryRecords from a schema v2 JSON array; malformed records are counted in `skipped`."""
    try:
        for record in ijson.items(stream, "item"):
            try:
                yield RegistryRecord.from_ror(record)
            except (KeyError, TypeError, AttributeError, ValueError, IndexError):
                if skipped is not None:
                    skipped.append(
                        record.get("id") if isinstance(record, dict) else repr(record)[:40]
                    )
    except ijson.JSONError as error:
        raise DumpError(f"not valid JSON ({str(error).splitlines()[0]})") from None


def import_records(records, *, batch_size=1000, progress=None, keep_changes=50):
    """Upsert records by ROR id, batch by batch, in constant memory. Returns ImportStats."""
    stats = ImportStats()
    for batch in batched(records, batch_size):
        # One transaction per batch: an interrupted import leaves whole organizations, never
        # one without its names or domains; running it again completes it.
        with transaction.atomic():
            upsert_batch(batch, stats, keep_changes)
        if progress:
            progress(stats)
    return stats


def upsert_batch(batch, stats, keep_changes):
    by_id = {record.ror_id: record for record in batch}
    existing = {o.ror_id: o for o in Organization.objects.filter(ror_id__in=by_id)}
    names = defaultdict(dict)
    for row in OrganizationName.objects.filter(organization__in=existing.values()).values(
        "organization_id", "name_folded", "name"
    ):
        names[row["organization_id"]][row["name_folded"]] = row["name"]
    domains = defaultdict(set)
    for org_id, domain in OrganizationDomain.objects.filter(
        organization__in=existing.values()
    ).values_list("organization_id", "domain"):
        domains[org_id].add(domain)

    new = [
        Organization(ror_id=r.ror_id, **r.fields())
        for r in by_id.values()
        if r.ror_id not in existing
    ]
    Organization.objects.bulk_create(new)
    changed, name_rows, domain_rows, stale_names, stale_domains = [], [], [], [], []
    for organization in new:
        record = by_id[organization.ror_id]
        name_rows += [
            OrganizationName(organization=organization, name=v, name_folded=k)
            for k, v in record.names.items()
        ]
        domain_rows += [
            OrganizationDomain(organization=organization, domain=d) for d in record.domains
        ]
        stats.created += 1
        if len(stats.changes) < keep_changes:
            stats.changes.append(f"+ {record.ror_id} {record.name}")
    for ror_id, organization in existing.items():
        record = by_id[ror_id]
        differences = [k for k, v in record.fields().items() if getattr(organization, k) != v]
        old_names, old_domains = names[organization.pk], domains[organization.pk]
        if old_names != record.names:
            differences.append("names")
            stale_names += [(organization.pk, k) for k in old_names.keys() - record.names.keys()]
            name_rows += [
                OrganizationName(organization=organization, name=v, name_folded=k)
                for k, v in record.names.items()
                if k not in old_names
            ]
        if old_domains != record.domains:
            differences.append("domains")
            stale_domains += [(organization.pk, d) for d in old_domains - record.domains]
            domain_rows += [
                OrganizationDomain(organization=organization, domain=d)
                for d in record.domains - old_domains
            ]
        if not differences:
            stats.unchanged += 1
            continue
        for key, value in record.fields().items():
            setattr(organization, key, value)
        changed.append(organization)
        stats.updated += 1
        if len(stats.changes) < keep_changes:
            stats.changes.append(f"~ {ror_id} {record.name}: {', '.join(differences)}")
    if changed:
        Organization.objects.bulk_update(
            changed, ["name", "country_code", "types", "status", "website"]
        )
    for org_id, folded in stale_names:
        OrganizationName.objects.filter(organization_id=org_id, name_folded=folded).delete()
    for org_id, domain in stale_domains:
        OrganizationDomain.objects.filter(organization_id=org_id, domain=domain).delete()
    OrganizationName.objects.bulk_create(name_rows)
    OrganizationDomain.objects.bulk_create(domain_rows)
