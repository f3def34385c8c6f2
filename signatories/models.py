import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from config.cache import KeptHere, try_cache
from config.queries import CompiledQuery
from config.tasks import (
    create_with_task,
    enqueue_with_transaction,
    in_one_statement,
    update_with_task,
)
from letters.models import AuditEvent, letter_changed
from signatories.addresses import canonical_email, email_domain
from signatories.domains import matching_domain, normalise_domain
from signatories.names import name_keys, names_match

# The admin-editable switches live in signatories/safeguards.py; importing them here registers
# them with the app.
from signatories.safeguards import SharedNetwork, SiteSettings, counting_paused  # noqa: F401


class Level(models.TextChoices):
    """Verification levels, weakest first. A signature counts once, at its level."""

    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed email")
    DOMAIN = "domain", _("Institutional email")
    ORCID = "orcid", _("ORCID")
    ORGANIZER = "organizer", _("Checked by an organizer")


COUNTED_LEVELS = [Level.CONFIRMED, Level.DOMAIN, Level.ORCID, Level.ORGANIZER]
VERIFIED_LEVELS = [Level.DOMAIN, Level.ORCID, Level.ORGANIZER]


def levels_at_least(level):
    """The counted levels at or above `level`, weakest first."""
    return COUNTED_LEVELS[COUNTED_LEVELS.index(level) :]


def english_label(label):
    """A choice's (lazy) label as notes for organizers store it: English, lower case."""
    with override(settings.LANGUAGE_CODE):
        return str(label).lower()


class Review(models.TextChoices):
    """Where a signature stands with the organizers' review queue."""

    NONE = "", "Not in review"
    HELD = "held", "Held: its name matches a notable or verified signatory"
    FLAGGED = "flagged", "Flagged by an organizer"
    REQUESTED = "requested", "Signer asked for manual verification"
    APPROVED = "approved", "Approved by an organizer"
    REJECTED = "rejected", "Rejected by an organizer"


UNPUBLISHED_REVIEWS = [Review.HELD, Review.FLAGGED, Review.REJECTED]
QUEUE_REVIEWS = [Review.HELD, Review.FLAGGED, Review.REQUESTED]
CONFIRM_SALT = "signatories.confirm"
# emails_requested's column holds no more (PositiveSmallIntegerField): the bound of uncapped
# requests, which the caller limits far below it.
MAX_EMAIL_SEQUENCE = 32767
# Its own salt, so a confirmation link can never be replayed as a manage link or back.
MANAGE_SALT = "signatories.manage"


class Display(models.TextChoices):
    """How a signer chooses to be shown: the pair (public, show_affiliation) as one choice."""

    NAME_AND_AFFILIATION = "name_and_affiliation", _("My name with my affiliation and role")
    NAME_ONLY = "name_only", _("My name only")
    HIDDEN = "hidden", _("Count my signature but do not list my name")


DISPLAY_FIELDS = {
    Display.NAME_AND_AFFILIATION: {"public": True, "show_affiliation": True},
    Display.NAME_ONLY: {"public": True, "show_affiliation": False},
    Display.HIDDEN: {"public": False, "show_affiliation": False},
}


def fold(text):
    """Case-folded, single-spaced: how names are compared."""
    return " ".join(text.casefold().split())


class Organization(models.Model):
    """An organization signers claim, from the ROR registry or added by an operator."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ror_id = models.CharField(
        max_length=9, unique=True, null=True, blank=True, help_text="The ROR id, as in 02bfwt286."
    )
    name = models.CharField(max_length=300)
    country_code = models.CharField(max_length=2, blank=True)
    types = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    website = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def ror_url(self):
        return f"https://ror.org/{self.ror_id}" if self.ror_id else ""

    def set_names(self, names):
        """Replace the names it is known by: display name, labels, aliases, acronyms."""
        wanted = {}
        for name in [self.name, *names]:
            if name and name.strip():
                wanted.setdefault(fold(name), " ".join(name.split()))
        self.names.exclude(name_folded__in=wanted).delete()
        existing = set(self.names.values_list("name_folded", flat=True))
        OrganizationName.objects.bulk_create(
            [
                OrganizationName(organization=self, name=wanted[f], name_folded=f)
                for f in sorted(wanted.keys() - existing)
            ]
        )

    def set_domains(self, domains):
        wanted = {d for d in (normalise_domain(d) for d in domains) if d}
        self.domains.exclude(domain__in=wanted).delete()
        existing = set(self.domains.values_list("domain", flat=True))
        OrganizationDomain.objects.bulk_create(
            [OrganizationDomain(organization=self, domain=d) for d in sorted(wanted - existing)]
        )


class OrganizationName(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    name_folded = models.CharField(max_length=300, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name_folded"], name="organization_name_unique"
            )
        ]

    def __str__(self):
        return self.name


class OrganizationDomain(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "domain"], name="organization_domain_unique"
            )
        ]

    def __str__(self):
        return self.domain


# One query, a join: each organization appears once, as it holds a folded name only once
# (organization_name_unique). Two at most: two mean ambiguous. Compiled once, as it runs on every
# signature: the ORM took longer to build this join than the database to answer it.
ORGANIZATIONS_NAMED = CompiledQuery(
    lambda folded: Organization.objects.filter(names__name_folded=folded).order_by()[:2],
    folded=str,
)


# What each affiliation named, as this process found it in the last second: at a spike many
# signers give the same few. Each organization is read only; a registry change (import_ror, the
# admin) reaches signers within the second.
AFFILIATIONS_FOUND = KeptHere(size=1024)


def organization_for_affiliation(affiliation):
    """The one registry organization whose name or alias is exactly `affiliation`, else None."""
    folded = fold(affiliation)

    def find():
        matches = list(ORGANIZATIONS_NAMED(folded=folded))
        return matches[0] if len(matches) == 1 else None

    return AFFILIATIONS_FOUND.get(folded, find)


# The rows a public list can show (SignatureQuerySet.listed narrows them further): the condition
# of the partial indexes that serve the lists.
LISTED_CANDIDATES = Q(public=True, withdrawn_at__isnull=True) & ~Q(level="pending")


def counted_level(level, review, withdrawn_at, hidden_at):
    """The level a signature in this state is counted at, or None when it does not count."""
    if (
        level in COUNTED_LEVELS
        and review not in UNPUBLISHED_REVIEWS
        and withdrawn_at is None
        and hidden_at is None
    ):
        return level
    return None


class SignatureQuerySet(models.QuerySet):
    def live(self):
        return self.filter(withdrawn_at__isnull=True)

    def counted(self):
        """Signatures that count: confirmed, not withdrawn, not hidden, not held back by review."""
        return (
            self.live()
            .filter(level__in=COUNTED_LEVELS, hidden_at__isnull=True)
            .exclude(review__in=UNPUBLISHED_REVIEWS)
        )

    def listed(self, letter):
        """The letter's signatures shown by name: public, and at the letter's minimum level."""
        return self.counted().filter(
            letter=letter, public=True, level__in=levels_at_least(letter.min_public_level)
        )

    def in_review_queue(self):
        return self.live().filter(level__in=COUNTED_LEVELS, review__in=QUEUE_REVIEWS)

    def set_notable(self, notable):
        """Mark or unmark notables. They are listed first, so every letter touched has changed
        its public list."""
        letter_ids = set(self.values_list("letter_id", flat=True))
        self.update(notable=notable)
        for letter_id in letter_ids:
            letter_changed(letter_id)

    def search(self, query):
        query = query.strip()
        if not query:
            return self
        # The affiliation of a signer listed by name only must not be findable either.
        return self.filter(
            Q(name__icontains=query) | Q(affiliation__icontains=query, show_affiliation=True)
        )

    def true_counts_by_letter(self, letter_ids):
        """Counts computed from the signatures themselves: the slow truth the recount uses."""
        counts = empty_counts(letter_ids)
        rows = (
            self.counted()
            .filter(letter_id__in=letter_ids)
            .values_list("letter_id", "level")
            .annotate(n=Count("id"))
            .order_by()
        )
        return add_counts(counts, rows)

    def counts_by_letter(self, letter_ids):
        """{letter_id: {"total": n, "by_level": {level: n}}}, in one query that never counts rows.

        The rolled-up totals plus the few changes the worker has not folded in yet.
        """
        rolled = LetterCount.objects.filter(letter_id__in=letter_ids).values_list(
            "letter_id", "level", "count"
        )
        if counting_paused():
            # Kill switch: counts stand still at the last roll-up until an operator resumes.
            return add_counts(empty_counts(letter_ids), rolled)
        pending = (
            CountDelta.objects.filter(letter_id__in=letter_ids)
            .values_list("letter_id", "level")
            .annotate(n=Sum("delta"))
            .order_by()
        )
        return add_counts(empty_counts(letter_ids), rolled.union(pending, all=True))

    def counts_for(self, letter):
        return self.counts_by_letter([letter.pk])[letter.pk]


def empty_counts(letter_ids):
    return {
        letter_id: {"total": 0, "by_level": {level.value: 0 for level in COUNTED_LEVELS}}
        for letter_id in letter_ids
    }


def add_counts(counts, rows):
    for letter_id, level, n in rows:
        if level in counts[letter_id]["by_level"]:
            counts[letter_id]["by_level"][level] += n
            counts[letter_id]["total"] += n
    return counts


class Signature(models.Model):
    # The id published in open data and the public record; never the database key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: every index in Meta.indexes starts with the letter, and so serves
    # lookups by letter alone (a letter's deletion, its lists and counts).
    letter = models.ForeignKey(
        "letters.Letter", on_delete=models.CASCADE, related_name="signatures", db_index=False
    )
    revision = models.ForeignKey(
        "letters.Revision",
        on_delete=models.PROTECT,
        related_name="signatures",
        help_text="The text the signer read when signing.",
    )
    language = models.CharField(
        max_length=8,
        default="en",
        help_text="Language of the version the signer read: the canonical text or a translation.",
    )
    name = models.CharField(max_length=200)
    # Normalised forms of the name (signatories.names) to find look-alikes with an index.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    name_initials_key = models.CharField(max_length=200, blank=True, editable=False)
    email = models.EmailField(max_length=254)
    email_canonical = models.CharField(max_length=254)
    affiliation = models.CharField(max_length=200)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    role = models.CharField(max_length=200)
    comment = models.TextField(max_length=1000, blank=True)
    public = models.BooleanField(default=True, help_text="List the name publicly.")
    show_affiliation = models.BooleanField(
        default=True, help_text="Show the affiliation and role with the name (the signer's choice)."
    )
    notify_changes = models.BooleanField(
        default=True, help_text="The signer accepts emails about material changes to the letter."
    )
    level = models.CharField(max_length=10, choices=Level, default=Level.PENDING)
    signed_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="For abuse review only."
    )
    orcid_id = models.CharField(
        max_length=19, blank=True, help_text="Signed while logged in with this ORCID iD."
    )
    orcid_employment = models.BooleanField(
        default=False, help_text="The ORCID record lists a current employment at the organization."
    )
    notable = models.BooleanField(
        default=False, help_text="Listed first; look-alike names are held."
    )
    review = models.CharField(max_length=10, choices=Review, default=Review.NONE, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    evidence_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="A page that shows the affiliation, for manual verification.",
    )
    review_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # A partial index in Meta.indexes: almost every row is NULL.
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Moderation: a hidden signature is neither listed nor counted, but still holds its email
    # address, so hiding a spammer's row does not let them sign again.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # A partial index in Meta.indexes: almost every row is NULL.
    )
    # Retention: when the email address (and client address) were erased.
    redacted_at = models.DateTimeField(null=True, blank=True)
    # Whether the latest snapshot of the public record lists this signature.
    in_record = models.BooleanField(default=False, editable=False)
    # Emails asked for (by signing again) and actually sent; the gap is what the worker owes.
    # Each email's number is in its Message-ID.
    emails_requested = models.PositiveSmallIntegerField(default=0)
    emails_sent = models.PositiveSmallIntegerField(default=0)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "email_canonical"],
                condition=Q(withdrawn_at__isnull=True),
                name="signature_one_live_per_email",
            ),
            models.CheckConstraint(
                condition=Q(level="pending", confirmed_at__isnull=True)
                | (~Q(level="pending") & Q(confirmed_at__isnull=False)),
                name="signature_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(emails_sent__lte=F("emails_requested")),
                name="signature_sent_within_requested",
            ),
            models.CheckConstraint(
                condition=~Q(review__in=["approved", "rejected"])
                | Q(reviewed_at__isnull=False, review_reason__gt=""),
                name="signature_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | Q(hidden_reason__gt=""),
                name="signature_hidden_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["letter", "level"], name="signature_letter_level"),
            models.Index(fields=["letter", "-confirmed_at"], name="signature_letter_recent"),
            models.Index(fields=["letter", "name_initials_key"], name="signature_letter_name"),
            # Keyset pagination of public lists: one range scan whatever the page.
            models.Index(
                "letter",
                F("notable").desc(),
                F("confirmed_at").desc(),
                F("id").desc(),
                name="signature_listed_order",
                condition=LISTED_CANDIDATES,
            ),
            # The letter page's most recent signatories: the listed ones only, newest first.
            # signature_letter_recent (letter, confirmed_at DESC) puts the unconfirmed rows,
            # whose confirmed_at is NULL, first; a spike of pending signatures made every render
            # of the letter page walk past all of them.
            models.Index(
                "letter",
                F("confirmed_at").desc(),
                F("id").desc(),
                name="signature_listed_recent",
                condition=LISTED_CANDIDATES,
            ),
            # The review queue, in its order: only the few rows waiting for an organizer, so the
            # queue and its size on the dashboard stay a short scan on a letter of millions.
            models.Index(
                fields=["letter", "confirmed_at", "id"],
                name="signature_review_queue",
                # Spelled as ORs, not IN: PostgreSQL prints an IN list back in a form that
                # seed_signatures' rebuild would turn into a differently written index.
                condition=Q(*[Q(review=review) for review in QUEUE_REVIEWS], _connector=Q.OR)
                & Q(withdrawn_at__isnull=True),
            ),
            # Deleting a user sets these to NULL where they point at them; only the few
            # reviewed or hidden rows need to be in the index for that lookup.
            models.Index(
                fields=["reviewed_by"],
                name="signature_reviewed_by",
                condition=Q(reviewed_by__isnull=False),
            ),
            models.Index(
                fields=["hidden_by"],
                name="signature_hidden_by",
                condition=Q(hidden_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.affiliation})"

    @classmethod
    def sign(
        cls,
        *,
        letter,
        name,
        email,
        affiliation,
        role,
        comment="",
        public=True,
        organization=None,
        evidence_url="",
        orcid_id="",
        orcid_employment=False,
        client_ip=None,
        language=None,
    ):
        """Record a signature, or find the live one for this address, and owe it an email.

        `language` is the version of the letter the signer read (the canonical one if None).
        Returns the signature. The caller shows the same page whatever happened, so the
        form never tells a stranger whether an address has signed.
        """
        canonical = canonical_email(email)
        # A new signature is stored already owing its first email: one INSERT and one commit,
        # where counting the request afterwards took an UPDATE and a SELECT more.
        first_email = min(1, settings.MAX_EMAILS_PER_SIGNATURE)
        signature = cls(
            letter=letter,
            revision_id=letter.current_revision_id,
            **cls.name_fields(name),
            email=email,
            email_canonical=canonical,
            affiliation=affiliation,
            organization=organization,
            role=role,
            comment=comment,
            public=public,
            evidence_url=evidence_url,
            review=Review.REQUESTED if evidence_url else Review.NONE,
            orcid_id=orcid_id,
            orcid_employment=orcid_employment,
            client_ip=client_ip,
            language=language or letter.language,
            emails_requested=first_email,
        )
        try:
            # A second submission racing this one hits the unique constraint here, with nothing
            # written, and falls through to the existing row instead of failing the request.
            if first_email:
                from signatories.tasks import send_signature_email

                args, kwargs = signature.email_arguments(first_email)
                create_with_task(signature, send_signature_email, *args, **kwargs)
            else:
                with transaction.atomic():  # a savepoint when nested, for the same reason
                    signature.save(force_insert=True)
        except IntegrityError:
            signature = cls.objects.live().get(letter=letter, email_canonical=canonical)
            signature.request_email()
            return signature
        return signature

    def request_email(self, *, manage=False, capped=True):
        """Queue this signature's email (confirmation link, or "already signed").

        With `manage`, a confirmed signature is sent its manage link instead of "already
        signed" (a pending one still gets its confirmation link: that is what it needs).

        The request is counted in the same UPDATE that checks the cap, so no burst of
        submissions can make us send more than MAX_EMAILS_PER_SIGNATURE. `capped=False` is for
        a requester who has shown a link we emailed (limited by the caller instead): a stranger
        who signs with the address five times must not leave its owner unable to confirm.
        """
        cap = settings.MAX_EMAILS_PER_SIGNATURE if capped else MAX_EMAIL_SEQUENCE
        database = router.db_for_write(Signature)
        # The count and the queued email commit together: no email is owed without its task.
        # No savepoint when nested: nothing here catches an error, and each costs a round trip.
        with transaction.atomic(using=database, savepoint=False):
            with connections[database].cursor() as cursor:
                # RETURNING gives the request's number in the same statement; the ORM's update()
                # only says how many rows changed, and a SELECT after it costs a round trip.
                cursor.execute(
                    "UPDATE signatories_signature SET emails_requested = emails_requested + 1"
                    " WHERE id = %s AND emails_requested < %s RETURNING emails_requested",
                    [self.pk, cap],
                )
                row = cursor.fetchone()
            if row is None:
                return False
            self.emails_requested = row[0]
            self.queue_email(row[0], manage=manage)
        return True

    def queue_email(self, sequence, *, manage=False):
        """Send email number `sequence` once the transaction that counted it commits."""
        from signatories.tasks import send_signature_email

        args, kwargs = self.email_arguments(sequence, manage=manage)
        enqueue_with_transaction(send_signature_email, self.pk, *args, **kwargs)

    def email_arguments(self, sequence, *, manage=False):
        """send_signature_email's arguments for email `sequence` but the signature's id first:
        (args, kwargs)."""
        # The email is written in the language the signer is using the site in; the worker that
        # sends it has no request to read that from.
        language = get_language() or settings.LANGUAGE_CODE
        return (sequence, language), {"manage": manage}

    @property
    def is_pending(self):
        return self.level == Level.PENDING

    @staticmethod
    def name_fields(name):
        """The name with the keys that look-alike names are found by."""
        key, initials = name_keys(name)
        return {"name": name, "name_key": key[:200], "name_initials_key": initials[:200]}

    @property
    def counted_level(self):
        """The level this signature is counted at, or None when it does not count."""
        return counted_level(self.level, self.review, self.withdrawn_at, self.hidden_at)

    def is_listed_on(self, letter):
        """Is this signature shown by name on `letter`? As SignatureQuerySet.listed(letter)."""
        return (
            self.letter_id == letter.pk
            and self.counted_level is not None
            and self.public
            and self.level in levels_at_least(letter.min_public_level)
        )

    def change_state(self, changes, **conditions):
        """Apply `changes` if the row still matches `conditions`, and move the counts with it.

        Returns False when the row no longer matches (already confirmed, say).
        """
        # The count change commits with the state change or not at all, and the row lock makes
        # two concurrent decisions on one signature move the counts once each, in order.
        # No savepoint when nested: nothing here catches an error, and each costs a round trip.
        with transaction.atomic(savepoint=False):
            current = (
                Signature.objects.select_for_update()
                .filter(pk=self.pk, **conditions)
                # What counted_level reads: the rest of the row is not needed here.
                .only("letter_id", "level", "review", "withdrawn_at", "hidden_at")
                .first()
            )
            if current is None:
                return False
            before = current.counted_level
            Signature.objects.filter(pk=self.pk).update(**changes)
            for key, value in changes.items():
                setattr(current, key, value)
                setattr(self, key, value)
            CountDelta.record(self.letter_id, before, current.counted_level)
        letter_changed(self.letter_id)
        return True

    def confirmation_changes(self):
        """What confirming writes: the level the evidence earns and the time, and a hold for
        the organizers when the name matches a notable or verified signatory of the letter."""
        changes = {"level": self.earned_level(), "confirmed_at": timezone.now()}
        original = self.impersonated_signature()
        if original is not None:
            kind = (
                "a notable signatory"
                if original.notable
                # Kept in the site's own language, like the rest of the reason, whatever
                # language the signer confirmed in.
                else f"a signatory verified by {english_label(Level(original.level).label)}"
            )
            changes |= {
                "review": Review.HELD,
                "hold_reason": f"Name matches {original.name}, {kind}.",
            }
        return changes

    def confirm(self):
        """Mark the email as confirmed at the level it earns. False when it already was."""
        return self.change_state(self.confirmation_changes(), level=Level.PENDING)

    def confirm_and_send_manage_link(self):
        """Confirm, and email the manage link so the signer keeps it after closing the page.

        The confirmation, its count change and the queued email commit together, or none of
        them does. Not counted against the cap: the signer has shown a link we sent, and a
        signature is confirmed once, so a stranger who used the cap up by signing with the
        address cannot cost the signer this email.
        """
        from signatories.tasks import send_signature_email

        changes = self.confirmation_changes()
        if in_one_statement(Signature, send_signature_email) and self.confirm_in_one_statement(
            changes, send_signature_email
        ):
            return
        # Anywhere else, or when the row changed since it was read: the general path, which
        # locks the row and reads what it counts from it.
        with transaction.atomic():  # the state, its count change and the email, or none
            if self.change_state(changes, level=Level.PENDING):
                self.request_email(manage=True, capped=False)

    def confirm_in_one_statement(self, changes, task):
        """confirm_and_send_manage_link() in one statement, where change_state() and
        request_email() take nine round trips; False, with nothing written, when the row is no
        longer as this object read it.

        The count change is worked out here from what this object holds, and the statement
        writes only if the row still holds it: pending, with the same review, withdrawal and
        hiding.
        """
        after = counted_level(
            changes["level"], changes.get("review", self.review), self.withdrawn_at, self.hidden_at
        )
        args, kwargs = self.email_arguments(None, manage=True)
        delta = (
            None if after is None else CountDelta(letter_id=self.letter_id, level=after, delta=1)
        )
        sequence = update_with_task(
            self,
            changes=changes,
            where={
                "level": Level.PENDING,
                "review": self.review,
                "withdrawn_at": self.withdrawn_at,
                "hidden_at": self.hidden_at,
            },
            counter="emails_requested",
            below=MAX_EMAIL_SEQUENCE,
            task=task,
            task_args=args[1:],
            task_kwargs=kwargs,
            also=delta,
        )
        if sequence is None:
            return False
        if after is not None:
            transaction.on_commit(schedule_roll_up)
        letter_changed(self.letter_id)
        return True

    def earned_level(self):
        """What the evidence proves: ORCID login, else an institutional email, else the inbox."""
        if self.orcid_id:
            return Level.ORCID
        if self.verified_domain():
            return Level.DOMAIN
        return Level.CONFIRMED

    def verified_domain(self):
        """The claimed organization's domain this signature's email is at, or None."""
        organization = self.organization
        if organization is None or organization.status != Organization.Status.ACTIVE:
            return None
        domains = organization.domains.values_list("domain", flat=True)
        return matching_domain(email_domain(self.email_canonical), list(domains))

    def impersonated_signature(self):
        """A published notable or verified signature on this letter with a matching name."""
        candidates = IMPERSONATION_CANDIDATES(
            letter_id=self.letter_id, initials=name_keys(self.name)[1], pk=self.pk
        )
        return next((c for c in candidates if names_match(self.name, c.name)), None)

    def decide(self, *, approve, by, reason):
        """An organizer's decision on a signature in the review queue."""
        changes = {
            "review": Review.APPROVED if approve else Review.REJECTED,
            "review_reason": reason,
            "reviewed_by": by,
            "reviewed_at": timezone.now(),
        }
        if approve:
            changes["level"] = Level.ORGANIZER
        self.change_state(changes)

    def flag(self, *, by, reason):
        changes = {"review": Review.FLAGGED, "hold_reason": reason, "reviewed_by": by}
        self.change_state(changes)

    def hide(self, *, by, reason):
        """Moderation: take the signature out of lists and counts, with the reason recorded.

        False when it was already hidden."""
        changes = {"hidden_at": timezone.now(), "hidden_reason": reason, "hidden_by": by}
        return self.change_state(changes, hidden_at__isnull=True)

    def restore(self, *, by):
        """Undo `hide`. False when it was not hidden."""
        changes = {"hidden_at": None, "hidden_reason": "", "hidden_by": by}
        return self.change_state(changes, hidden_at__isnull=False)

    def withdraw(self):
        """The signer takes their signature back: out of lists and counts at once."""
        return self.change_state({"withdrawn_at": timezone.now()}, withdrawn_at__isnull=True)

    @property
    def display(self):
        if not self.public:
            return Display.HIDDEN
        return Display.NAME_AND_AFFILIATION if self.show_affiliation else Display.NAME_ONLY

    def change_display(self, *, display, notify_changes):
        """The signer's own choice of how they are shown and whether we may email them.

        Returns False when the signature was withdrawn meanwhile. Each change is audited.
        """
        before = {"display": self.display.value, "notify_changes": self.notify_changes}
        after = {"display": Display(display).value, "notify_changes": notify_changes}
        if before == after:
            return True
        # The audit rows commit with the change or not at all.
        with transaction.atomic():
            changes = {**DISPLAY_FIELDS[Display(display)], "notify_changes": notify_changes}
            if not self.change_state(changes, withdrawn_at__isnull=True):
                return False
            if before["display"] != after["display"]:
                AuditEvent.record(
                    letter=self.letter,
                    actor="signer",
                    action="signature.display_changed",
                    target=self,
                    before=before["display"],
                    after=after["display"],
                )
            if before["notify_changes"] != after["notify_changes"]:
                AuditEvent.record(
                    letter=self.letter,
                    actor="signer",
                    action="signature.notify_changed",
                    target=self,
                    notify_changes=notify_changes,
                )
        return True

    def withdraw_by_signer(self):
        """`withdraw`, asked for through the manage link; the audit keeps the fact."""
        # The audit row commits with the withdrawal, so no withdrawal goes unrecorded.
        with transaction.atomic():
            if not self.withdraw():
                return False
            AuditEvent.record(
                letter=self.letter, actor="signer", action="signature.withdrawn", target=self
            )
        return True

    def personal_data(self):
        """Everything we hold about this signer, for them to download: their own data."""
        skip = {"id", "letter", "revision", "organization", "reviewed_by", "hidden_by"}
        data = {
            field.name: field.value_from_object(self)
            for field in self._meta.concrete_fields
            if field.name not in skip
        }
        organization = self.organization
        data |= {
            "letter": {"slug": self.letter.slug, "title": self.letter.title},
            "revision": self.revision.number,
            "organization": {"name": organization.name, "ror_id": organization.ror_id}
            if organization
            else None,
            "display": self.display.value,
        }
        return data

    def manage_token(self):
        return signing.dumps(self.pk, salt=MANAGE_SALT, compress=True)

    def manage_path(self):
        return reverse("signatories:manage", args=[self.letter.slug, self.manage_token()])

    def manage_url(self):
        return settings.SITE_URL + self.manage_path()

    @classmethod
    def from_manage_token(cls, token):
        """The live signature a manage token names.

        Manage links do not expire: a signer may come back years later to withdraw. Raises
        signing.BadSignature for anything forged or mangled and cls.DoesNotExist when the
        signature is gone or withdrawn.
        """
        pk = signed_pk(token, MANAGE_SALT)
        return cls.objects.live().select_related("letter", "organization").get(pk=pk)

    def email_message_id(self, sequence):
        """The Message-ID of the email served for request number `sequence`.

        The same request always gets the same id, so if a worker dies after the SMTP server
        accepted the email but before emails_sent was saved, the copy sent again on recovery
        is recognisably the same message (mail systems and the tests drop the duplicate).
        """
        domain = urlsplit(settings.SITE_URL).hostname
        return f"<signature.{self.public_id}.{sequence}@{domain}>"

    def confirmation_token(self):
        return signing.dumps(self.pk, salt=CONFIRM_SALT, compress=True)

    def confirmation_url(self):
        path = reverse("signatories:confirm", args=[self.letter.slug, self.confirmation_token()])
        return settings.SITE_URL + path

    @classmethod
    def from_confirmation_token(cls, token, *, max_age):
        """The live signature a confirmation token names.

        Raises signing.SignatureExpired for an old link (the signature is attached to the
        exception as `.signature` so the page can offer a new one), signing.BadSignature for
        anything forged or mangled, and cls.DoesNotExist when the signature is gone.
        """
        try:
            pk = signed_pk(token, CONFIRM_SALT, max_age=max_age)
        except signing.SignatureExpired as expired:
            pk = signing.loads(token, salt=CONFIRM_SALT)
            # Only a signature's id may reach the query; any other payload offers no new link.
            expired.signature = (
                cls.objects.live().select_related("letter").filter(pk=pk).first()
                if type(pk) is int
                else None
            )
            raise
        # Without its letter: the caller has it already, from the link's own URL.
        found = list(LIVE_SIGNATURE(pk=pk))
        if not found:
            raise cls.DoesNotExist("No live signature has this id.")
        return found[0]


# The two queries of every confirmation, compiled once: building them cost the ORM more than
# running them (config/queries.py).
LIVE_SIGNATURE = CompiledQuery(lambda pk: Signature.objects.live().filter(pk=pk), pk=int)
IMPERSONATION_CANDIDATES = CompiledQuery(
    lambda letter_id, initials, pk: (
        Signature.objects.counted()
        .filter(letter_id=letter_id, name_initials_key=initials)
        .filter(Q(notable=True) | Q(level__in=VERIFIED_LEVELS))
        .exclude(pk=pk)
        .only("name", "notable", "level")[:50]
    ),
    letter_id=int,
    initials=str,
    pk=int,
)


def signed_pk(token, salt, *, max_age=None):
    """The signature id a signed link carries. Raises signing.BadSignature for anything forged,
    mangled or carrying another payload, and signing.SignatureExpired past `max_age`."""
    pk = signing.loads(token, salt=salt, max_age=max_age)
    # Not isinstance: bool is an int, and a payload of true would name signature 1.
    if type(pk) is not int:
        raise signing.BadSignature("unexpected payload")
    return pk


class ReviewItem(Signature):
    """The review queue, as its own admin page."""

    class Meta:
        proxy = True
        verbose_name = "review queue item"
        verbose_name_plural = "review queue"


class Snapshot(models.Model):
    """One day's change to a letter's public list, chained to the day before.

    `content` is a CSV of the rows added (+) and removed (-) since the previous snapshot;
    `digest` = SHA-256 of the previous digest, the day and the content's SHA-256. Anyone holding
    the downloads can recompute the chain, and a row that disappears from the list without a
    recorded removal shows up as a break.
    """

    GENESIS = "0" * 64

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    added = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    total = models.PositiveIntegerField(help_text="Rows in the public list after this day.")
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["letter", "day"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "day"], name="snapshot_once_a_day")
        ]

    def __str__(self):
        return f"{self.letter_id} {self.day} {self.digest[:12]}"


class CountDelta(models.Model):
    """One change to a letter's count at one level, appended with the change that caused it.

    Signing adds rows here instead of updating a counter, so a rush of signatures never queues
    on one hot row; the worker folds them into LetterCount a few seconds later.
    """

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level)
    delta = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["letter", "level"], name="countdelta_letter_level")]

    def __str__(self):
        return f"{self.letter_id} {self.level} {self.delta:+d}"

    @classmethod
    def record(cls, letter_id, before, after):
        """Move one signature's count from level `before` to `after` (None: not counted)."""
        if before == after:
            return
        rows = [
            cls(letter_id=letter_id, level=level, delta=d)
            for level, d in [(before, -1), (after, 1)]
            if level
        ]
        cls.objects.bulk_create(rows)
        transaction.on_commit(schedule_roll_up)


class LetterCount(models.Model):
    """A letter's count at one level, as of the last roll-up."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level)
    count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter", "level"], name="lettercount_once_per_level")
        ]

    def __str__(self):
        return f"{self.letter_id} {self.level} {self.count}"


ROLL_UP_PENDING_KEY = "counts:roll-up-queued"

# Whether this process asked Redis for a roll-up in the last COUNT_ROLL_UP_SECONDS. Redis lets
# one be queued per that time for all processes, so each asks at most that often: asking on
# every confirmation cost it 8% of its CPU.
ROLL_UP_ASKED = KeptHere(size=1, seconds="COUNT_ROLL_UP_SECONDS")


def schedule_roll_up():
    """Queue one roll-up for the next few seconds, however many signatures arrive meanwhile.

    A change made after the roll-up of its few seconds has run waits for the next one that a
    later change queues, or for the hourly recount; the counts shown add the pending changes.
    """
    ROLL_UP_ASKED.get("asked", queue_roll_up_unless_queued)


def queue_roll_up_unless_queued():
    from signatories.tasks import roll_up_counts

    first = try_cache(
        lambda: cache.add(ROLL_UP_PENDING_KEY, True, timeout=settings.COUNT_ROLL_UP_SECONDS),
        # It follows a commit: without Redis, queue one anyway, as a roll-up is safe to run twice.
        fallback=lambda: True,
    )
    if first:
        roll_up_counts.enqueue()


def roll_up(letter_ids=None):
    """Fold pending CountDeltas into LetterCount. Safe to run twice or concurrently.

    Changes recorded while it runs wait for the next roll-up; reads add pending changes, so
    counts are exact meanwhile.
    """
    if counting_paused():
        # The deltas wait; the first roll-up after the operator resumes folds them all in.
        return 0
    # Folding and deleting happen in one transaction: a delta is either still pending or
    # already in LetterCount, never both and never neither.
    with transaction.atomic():
        deltas = CountDelta.objects.select_for_update(skip_locked=True)
        if letter_ids is not None:
            deltas = deltas.filter(letter_id__in=letter_ids)
        ids = list(deltas.values_list("id", flat=True)[:50_000])
        if not ids:
            return 0
        sums = (
            CountDelta.objects.filter(id__in=ids)
            .values_list("letter_id", "level")
            .annotate(n=Sum("delta"))
            .order_by()
        )
        for letter_id, level, n in sums:
            row, _ = LetterCount.objects.select_for_update().get_or_create(
                letter_id=letter_id, level=level
            )
            LetterCount.objects.filter(pk=row.pk).update(
                count=F("count") + n, updated_at=timezone.now()
            )
        CountDelta.objects.filter(id__in=ids).delete()
    return len(ids)


def recount(letter):
    """Recount a letter from its signatures, repair LetterCount, and return the drift found.

    Drift is {level: shown - true}; any non-zero value means a change was counted wrongly.
    """
    # With the letter's LetterCount rows locked no roll-up runs meanwhile, and the true counts
    # and the pending deltas are read in one transaction, so they describe the same moment.
    with transaction.atomic():
        for level in COUNTED_LEVELS:
            LetterCount.objects.get_or_create(letter_id=letter.pk, level=level)
        rows = {
            r.level: r for r in LetterCount.objects.select_for_update().filter(letter_id=letter.pk)
        }
        shown = Signature.objects.counts_for(letter)["by_level"]
        true = Signature.objects.true_counts_by_letter([letter.pk])[letter.pk]["by_level"]
        pending = dict(
            CountDelta.objects.filter(letter_id=letter.pk)
            .values_list("level")
            .annotate(n=Sum("delta"))
            .order_by()
        )
        drift = {level: shown[level] - true[level] for level in true if shown[level] != true[level]}
        for level, row in rows.items():
            wanted = true.get(level, 0) - pending.get(level, 0)
            if row.count != wanted:
                LetterCount.objects.filter(pk=row.pk).update(
                    count=wanted, updated_at=timezone.now()
                )
    return drift


class BulkAction(models.Model):
    """A bulk invalidation: every signature an investigation search finds is hidden, in batches.

    `filters` is the search as its form submitted it (signatories.investigation.SearchForm),
    with the time window closed at the moment of the preview, so the action touches the
    signatures the organizer was shown and not the ones that arrive while it runs.
    """

    letter = models.ForeignKey(
        "letters.Letter", on_delete=models.CASCADE, related_name="bulk_actions"
    )
    filters = models.JSONField(default=dict)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.PositiveIntegerField(
        default=0, help_text="Signatures the search found, not yet hidden, at the preview."
    )
    done = models.PositiveIntegerField(default=0, help_text="Signatures this action has hidden.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__gt=""), name="bulkaction_has_reason")
        ]

    def __str__(self):
        return f"Hide {self.total} signatures on {self.letter_id}: {self.reason[:60]}"


class AbuseReport(models.Model):
    """One hourly abuse report for one letter: recorded so each hour is reported once."""

    letter = models.ForeignKey(
        "letters.Letter", on_delete=models.CASCADE, related_name="abuse_reports"
    )
    hour = models.DateTimeField(help_text="Start of the hour the report covers.")
    findings = models.JSONField(default=dict)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-hour"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "hour"], name="abusereport_once_per_hour")
        ]

    def __str__(self):
        return f"{self.letter_id} {self.hour:%Y-%m-%d %H:00}"
