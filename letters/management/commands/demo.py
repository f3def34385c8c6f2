"""`manage.py demo`: a working site on SQLite with demo letters, in one command."""

from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from letters.models import Letter, Organizer
from signatories.addresses import canonical_email
from signatories.models import CountDelta, Level, Organization, Signature, roll_up

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
ORGANIZER_USERNAME = "organizer"
ORGANIZER_EMAIL = "organizer@example.org"
ORGANIZER_PASSWORD = "undersigned-demo"  # Printed on purpose: the demo runs on 127.0.0.1 only.

LETTERS = [
    {
        "slug": "ai-risk-assessment",
        "title": "A call for a transparent, scientific process for assessing AI risk",
        "summary": "Risk assessments of advanced AI should publish their methods, be independently "
        "replicable, state their uncertainty and declare conflicts of interest.",
        "file": "ai-risk-assessment.md",
        "goal": 1000,
        "closed": False,
    },
    {
        "slug": "open-evaluation-data",
        "title": "Open, versioned data for AI evaluations",
        "summary": "Evaluation data behind published AI results should be documented, versioned "
        "and open to scrutiny.",
        "file": "open-evaluation-data.md",
        "goal": None,
        "closed": True,
    },
]

# (ror_id or None, name, aliases, country, domains). ROR ids are real; the labs are curated by hand.
ORGANIZATIONS = [
    ("02bfwt286", "Monash University", [], "AU", ["monash.edu"]),
    ("00rqy9422", "University of Queensland", ["UQ"], "AU", ["uq.edu.au"]),
    ("01sf06y89", "Macquarie University", [], "AU", ["mq.edu.au"]),
    (
        "04ttjf776",
        "RMIT University",
        ["Royal Melbourne Institute of Technology"],
        "AU",
        ["rmit.edu.au"],
    ),
    ("02sc3r913", "Griffith University", [], "AU", ["griffith.edu.au"]),
    (None, "Example AI Lab", ["EAL"], "GB", ["example-ai-lab.org"]),
]

# Fictional people: a demo must never put real names to a letter they did not sign.
SIGNATORIES = [
    (
        "Amara Okonkwo",
        "Professor of Computer Science",
        "Monash University",
        "a.okonkwo@monash.edu",
        Level.DOMAIN,
    ),
    (
        "Lukas Brenner",
        "Research engineer",
        "Example AI Lab",
        "lukas@example-ai-lab.org",
        Level.DOMAIN,
    ),
    (
        "Mei Lin Tan",
        "Postdoctoral researcher",
        "University of Queensland",
        "m.tan@uq.edu.au",
        Level.DOMAIN,
    ),
    (
        "Santiago Ruiz",
        "Associate Professor of Statistics",
        "Macquarie University",
        "s.ruiz@mq.edu.au",
        Level.ORCID,
    ),
    (
        "Ingrid Solberg",
        "PhD student",
        "RMIT University",
        "ingrid.solberg@rmit.edu.au",
        Level.DOMAIN,
    ),
    (
        "Kwame Mensah",
        "Senior Lecturer in Ethics",
        "Griffith University",
        "kwame.mensah@example.net",
        Level.CONFIRMED,
    ),
    (
        "Priya Raman",
        "Machine learning engineer",
        "Independent",
        "priya.raman@example.com",
        Level.CONFIRMED,
    ),
    ("Tomás Novak", "Policy researcher", "Independent", "tomas.novak@example.org", Level.CONFIRMED),
    (
        "Hannah Becker",
        "Professor of Philosophy",
        "Monash University",
        "hannah.becker@example.com",
        Level.ORGANIZER,
    ),
    ("Yusuf Adeyemi", "Data scientist", "Example AI Lab", "yusuf@example-ai-lab.org", Level.DOMAIN),
    (
        "Chloé Martin",
        "Research fellow",
        "University of Queensland",
        "chloe.martin@example.com",
        Level.ORCID,
    ),
    ("Rahul Iyer", "Software engineer", "Independent", "rahul.iyer@example.net", Level.CONFIRMED),
]


class Command(BaseCommand):
    help = "Migrate, seed demo letters, organizations and an organizer, then serve on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="Port to serve on (default 8000)."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Seed and exit without serving."
        )

    def handle(self, *args, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        created = self.seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new rows; running again changes nothing)."
            )
        )
        self.stdout.write(
            f"Organizer account: log in at /accounts/login/ as {ORGANIZER_EMAIL}, password "
            f"{ORGANIZER_PASSWORD!r} (workspace at /organize/, admin at /admin/)."
        )
        if no_serve:
            return
        site_url = f"http://127.0.0.1:{port}"
        self.stdout.write(
            f"Serving on {site_url}/ — confirmation emails are printed here. Ctrl-C stops."
        )
        # The demo always runs tasks in-process and prints emails, whatever the environment says,
        # so the confirmation link shows up in this terminal.
        with override_settings(
            TASKS={
                "default": {
                    "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                    "QUEUES": settings.TASK_QUEUES,
                }
            },
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}},
            SITE_URL=site_url
            if settings.SITE_URL == "http://127.0.0.1:8000"
            else settings.SITE_URL,
        ):
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)

    @transaction.atomic  # Seeding is all or nothing: a half-seeded demo would not re-run cleanly.
    def seed(self):
        created = 0
        user_model = get_user_model()
        organizer = user_model.objects.filter(username=ORGANIZER_USERNAME).first()
        if organizer is None:
            organizer = user_model.objects.create_superuser(
                username=ORGANIZER_USERNAME,
                email=ORGANIZER_EMAIL,
                password=ORGANIZER_PASSWORD,
            )
            created += 1
        # Organizers log in with their email address, which allauth must hold as verified.
        _, new = EmailAddress.objects.get_or_create(
            user=organizer, email=ORGANIZER_EMAIL, defaults={"verified": True, "primary": True}
        )
        created += new
        organizations = {}
        for ror_id, name, aliases, country, domains in ORGANIZATIONS:
            lookup = {"ror_id": ror_id} if ror_id else {"ror_id": None, "name": name}
            organization, new = Organization.objects.get_or_create(
                **lookup,
                defaults={
                    "name": name,
                    "country_code": country,
                    "types": ["education"] if ror_id else ["company"],
                },
            )
            if new:
                organization.set_names(aliases)
                organization.set_domains(domains)
                created += 1
            organizations[name] = organization
        now = timezone.now()
        for spec in LETTERS:
            letter = Letter.objects.filter(slug=spec["slug"]).first()
            if letter is None:
                letter = Letter.objects.create(
                    slug=spec["slug"],
                    title=spec["title"],
                    summary=spec["summary"],
                    body=(DEMO_DIR / spec["file"]).read_text(),
                    goal=spec["goal"],
                    created_at=now - timedelta(days=30),
                )
                letter.publish()
                # Backdate the launch so the demo's signatures arrive over a few days.
                published_at = now - timedelta(days=20 if not spec["closed"] else 60)
                Letter.objects.filter(pk=letter.pk).update(published_at=published_at)
                letter.revisions.update(created_at=published_at)
                letter.published_at = published_at
                created += 1
                if spec["closed"]:
                    letter.close()
            _, new = Organizer.objects.get_or_create(
                letter=letter, user=organizer, defaults={"role": Organizer.Role.OWNER}
            )
            created += new
            signers = SIGNATORIES if not spec["closed"] else SIGNATORIES[:5]
            for index, (name, role, affiliation, email, level) in enumerate(signers):
                confirmed_at = min(letter.published_at + timedelta(hours=3 * index + 1), now)
                signature, new = Signature.objects.get_or_create(
                    letter=letter,
                    email_canonical=canonical_email(email),
                    withdrawn_at=None,
                    defaults={
                        "revision": letter.current_revision,
                        **Signature.name_fields(name),
                        "email": email,
                        "affiliation": affiliation,
                        "organization": organizations.get(affiliation),
                        "role": role,
                        "level": level,
                        "signed_at": confirmed_at - timedelta(minutes=5),
                        "confirmed_at": confirmed_at,
                        "notable": index == 0,
                    },
                )
                if new:
                    CountDelta.record(letter.pk, None, signature.counted_level)
                created += new
        roll_up()
        return created
