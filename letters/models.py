import secrets
import time
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import FilteredRelation, Max, OuterRef, Q, StringAgg, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.cache import best_effort, get_or_set
from letters.markdown import render_markdown

# How long an invitation to organize a letter can be accepted.
INVITATION_LIFETIME = timedelta(days=14)


def full_text(text):
    """Title, summary and Markdown body of a letter or revision, one after the other: what
    the history compares."""
    return "\n".join([text.title, text.summary, "", text.body])


def new_token():
    return secrets.token_urlsafe(32)


class LetterQuerySet(models.QuerySet):
    def public(self):
        """Letters the public may read: published ones and closed ones."""
        return self.filter(
            status__in=[Letter.Status.PUBLISHED, Letter.Status.CLOSED, Letter.Status.ARCHIVED]
        )

    def listed(self):
        """Public letters the index and the feed list: archived ones are left out."""
        return self.public().exclude(status=Letter.Status.ARCHIVED)

    def organized_by(self, user, roles=None):
        """Letters this user organizes (in one of `roles`, if given); all, for a superuser."""
        if user.is_superuser:
            return self
        memberships = Organizer.objects.filter(user=user)
        if roles is not None:
            memberships = memberships.filter(role__in=roles)
        return self.filter(pk__in=memberships.values("letter_id"))

    def with_languages(self):
        """Letters with `translated_into`: the languages their current revision is translated
        into (space-separated, or None). Enough for `versions()`; signing needs no more."""
        translated_into = (
            Translation.objects.filter(revision=OuterRef("current_revision"))
            .order_by()
            .values("revision")
            .annotate(languages=StringAgg("language", Value(" ")))
            .values("languages")
        )
        return self.annotate(translated_into=Subquery(translated_into))

    def with_versions(self, language):
        """Letters with their current revision and, in the same query, what choosing a version
        needs: `translated_into` (see with_languages) and `translation_in_language`, its
        translation into `language` when there is one (read it with `translation_shown()`).

        One query whatever the number of versions keeps the letter page's cost flat.
        """
        # Only a language of the site reaches the query; anything else (a NUL byte, which
        # PostgreSQL refuses, included) matches no translation and shows the canonical text.
        if language not in dict(settings.LANGUAGES):
            language = ""
        return (
            self.with_languages()
            .annotate(
                translation_in_language=FilteredRelation(
                    "current_revision__translations",
                    condition=Q(current_revision__translations__language=language),
                ),
            )
            .select_related("current_revision", "translation_in_language")
        )


class Letter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField(help_text="Markdown. Published text is kept per revision.")
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language of the letter's own text, the canonical version. "
        "Translations are marked unofficial.",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    closes_at = models.DateTimeField(null=True, blank=True, help_text="Signing stops at this time.")
    goal = models.PositiveIntegerField(
        null=True, blank=True, help_text="Signature goal, shown as progress."
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    current_revision = models.ForeignKey(
        "letters.Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    min_public_level = models.CharField(
        max_length=10,
        choices=[
            ("confirmed", _("Confirmed email")),
            ("domain", _("Institutional email")),
            ("orcid", _("ORCID")),
            ("organizer", _("Checked by an organizer")),
        ],
        default="confirmed",
        help_text="The weakest verification a signature needs to appear in the public list.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The secret part of the draft's preview link; replacing it revokes links already shared.
    preview_token = models.CharField(max_length=64, default=new_token, editable=False)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Everyone who organizes this letter must use two-factor authentication.",
    )
    signing_paused = models.BooleanField(
        default=False, help_text="Kill switch: the form is shown as paused and refuses signatures."
    )
    challenge_required = models.BooleanField(
        default=False, help_text="Signers must solve a proof-of-work challenge (under attack)."
    )

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(published_at__isnull=False, current_revision__isnull=False),
                name="letter_published_has_revision",
            ),
            models.CheckConstraint(
                condition=Q(goal__isnull=True) | Q(goal__gt=0), name="letter_goal_positive"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("letters:detail", args=[self.slug])

    @property
    def is_public(self):
        return self.status in {self.Status.PUBLISHED, self.Status.CLOSED, self.Status.ARCHIVED}

    def accepts_signatures(self, at=None):
        at = at or timezone.now()
        if self.status != self.Status.PUBLISHED:
            return False
        return self.closes_at is None or at < self.closes_at

    @property
    def public_status(self):
        """The status a reader sees: a published letter past its closing time is closed."""
        if self.status == self.Status.PUBLISHED and not self.accepts_signatures():
            return self.Status.CLOSED
        return self.status

    def publish(self, *, by=None, change_note="First publication"):
        """Freeze the current text as a new revision and make it the public one.

        With `by` (the organizer acting), the event is written to the audit log in the same
        transaction. Refuses, with a ValidationError, a letter without title or body.
        """
        if not self.title.strip() or not self.body.strip():
            raise ValidationError(_("A letter needs a title and a text before it is published."))
        # The revision number is read and written in one transaction with the letter row
        # locked, so two concurrent publishes cannot both create revision N.
        with transaction.atomic():
            locked = Letter.objects.select_for_update().get(pk=self.pk)
            number = (locked.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
            revision = Revision.objects.create(
                letter=locked,
                number=number,
                title=self.title,
                summary=self.summary,
                body=self.body,
                body_html=render_markdown(self.body),
                change_note=change_note,
            )
            self.current_revision = revision
            if self.status == self.Status.DRAFT:
                self.status = self.Status.PUBLISHED
                self.published_at = timezone.now()
            self.save(update_fields=["current_revision", "status", "published_at"])
            if by is not None:
                action = "letter.published" if number == 1 else "letter.revised"
                AuditEvent.record(
                    letter=self,
                    actor=by,
                    action=action,
                    target=revision,
                    number=number,
                    change_note=change_note,
                )
        return revision

    def revise(self, *, by, change_note):
        """Publish the edited working text as the next revision, explaining what changed.

        Refuses a revision without a change note, or one that would change nothing.
        """
        if self.current_revision_id is None:
            raise ValidationError(_("Publish the letter before revising it."))
        change_note = " ".join(change_note.split())
        if not change_note:
            raise ValidationError(_("Say what changed: the change note is shown to readers."))
        if not self.has_unpublished_changes():
            raise ValidationError(
                _("The text is the same as the published revision: there is nothing to revise.")
            )
        return self.publish(by=by, change_note=change_note)

    def full_text(self):
        """The working text as the history compares it (see `full_text`)."""
        return full_text(self)

    def has_unpublished_changes(self):
        """Whether the working text differs from the revision the public page shows."""
        revision = self.current_revision
        if revision is None:
            return True
        return (self.title, self.summary, self.body) != (
            revision.title,
            revision.summary,
            revision.body,
        )

    def regenerate_preview_token(self, *, by):
        """Replace the preview link's secret: links already shared stop working."""
        self.preview_token = new_token()
        self.save(update_fields=["preview_token"])
        AuditEvent.record(letter=self, actor=by, action="letter.preview_link_regenerated")

    @classmethod
    def start(cls, *, by, title, slug):
        """A new draft letter, with the person who started it as its owner."""
        # One transaction: a letter nobody organizes could never be opened again.
        with transaction.atomic():
            letter = cls.objects.create(title=title, slug=slug, body="", created_by=by)
            Organizer.objects.create(letter=letter, user=by, role=Organizer.Role.OWNER)
            AuditEvent.record(letter=letter, actor=by, action="letter.created", target=letter)
        return letter

    def versions(self):
        """The languages the current text can be read in, the canonical one first.

        Needs a letter from `with_versions()`.
        """
        translated = set((self.translated_into or "").split())
        return [self.language] + [
            code for code, _name in settings.LANGUAGES if code in translated - {self.language}
        ]

    def translation_shown(self):
        """The translation `with_versions(language)` found, or None: show the canonical text."""
        # select_related leaves a filtered relation that matched no row unset, not None.
        translation = getattr(self, "translation_in_language", None)
        if translation is None or translation.language == self.language:
            return None
        return translation

    def close(self, *, by=None):
        self.status = self.Status.CLOSED
        if self.closes_at is None or self.closes_at > timezone.now():
            self.closes_at = timezone.now()
        self.save(update_fields=["status", "closes_at"])
        if by is not None:
            AuditEvent.record(letter=self, actor=by, action="letter.closed")

    def reopen(self, *, by):
        """Accept signatures again, from a closed or archived letter; the closing time goes."""
        if (
            self.status not in {self.Status.CLOSED, self.Status.ARCHIVED}
            and self.accepts_signatures()
        ):
            raise ValidationError(_("The letter already accepts signatures."))
        if self.current_revision_id is None:
            raise ValidationError(_("A draft is not open for signing: publish it instead."))
        self.status = self.Status.PUBLISHED
        self.closes_at = None
        self.save(update_fields=["status", "closes_at"])
        AuditEvent.record(letter=self, actor=by, action="letter.reopened")

    def archive(self, *, by):
        """Take the letter off the index and stop signing; its page stays readable."""
        if self.current_revision_id is None:
            raise ValidationError(_("A draft cannot be archived: it was never public."))
        self.status = self.Status.ARCHIVED
        self.save(update_fields=["status"])
        AuditEvent.record(letter=self, actor=by, action="letter.archived")

    SETTINGS = ["require_two_factor", "signing_paused", "challenge_required"]

    def change_settings(self, *, by, **values):
        """Set the letter's switches; each one that changed is written to the audit log."""
        changed = {name: value for name, value in values.items() if getattr(self, name) != value}
        for name, value in changed.items():
            setattr(self, name, value)
        # One transaction: a switch must not change without its audit row.
        with transaction.atomic():
            self.save(update_fields=list(changed))
            for name, value in changed.items():
                AuditEvent.record(
                    letter=self,
                    actor=by,
                    action="letter.setting_changed",
                    setting=name,
                    value=value,
                )
        return changed

    # Owner changes: the count of owners is read with the letter row locked, so two owners
    # demoting or removing each other at the same moment cannot leave the letter with none;
    # the second waits for the first to commit, then sees one owner left and is refused.
    def _lock_for_owner_change(self, organizer):
        Letter.objects.select_for_update().get(pk=self.pk)
        locked = Organizer.objects.select_for_update().get(pk=organizer.pk, letter=self)
        owners = Organizer.objects.filter(letter=self, role=Organizer.Role.OWNER).count()
        return locked, owners

    def change_role(self, organizer, role, *, by):
        if role not in Organizer.Role.values:
            raise ValidationError(_("Choose a role."))
        # See _lock_for_owner_change: the race is two owners demoting each other.
        with transaction.atomic():
            locked, owners = self._lock_for_owner_change(organizer)
            if locked.role == role:
                return locked
            if locked.role == Organizer.Role.OWNER and owners <= 1:
                raise LastOwnerError(_("A letter needs an owner: make someone else owner first."))
            AuditEvent.record(
                letter=self,
                actor=by,
                action="organizer.role_changed",
                target=locked,
                old_role=locked.role,
                role=role,
            )
            locked.role = role
            locked.save(update_fields=["role"])
        return locked

    def remove_organizer(self, organizer, *, by):
        """Remove an organizer; `by` is the organizer themself when they leave."""
        # See _lock_for_owner_change: the race is two owners removing each other, or leaving.
        with transaction.atomic():
            locked, owners = self._lock_for_owner_change(organizer)
            if locked.role == Organizer.Role.OWNER and owners <= 1:
                raise LastOwnerError(
                    _("A letter needs an owner: make someone else owner before leaving.")
                    if locked.user_id == by.pk
                    else _("A letter needs an owner: the last owner cannot be removed.")
                )
            action = "organizer.left" if locked.user_id == by.pk else "organizer.removed"
            AuditEvent.record(letter=self, actor=by, action=action, target=locked, role=locked.role)
            locked.delete()

    def invite(self, *, email, role, by):
        """A new invitation to organize this letter; the caller sends the email.

        Raises TooManyInvitations, with nothing written, when `by` has sent
        INVITATIONS_PER_DAY invitations in the last 24 hours.
        """
        with transaction.atomic():  # locks the inviter: requests at once count in turn
            get_user_model().objects.select_for_update().filter(pk=by.pk).first()
            since = timezone.now() - INVITATION_WINDOW
            sent = Invitation.objects.filter(invited_by=by, created_at__gt=since)
            if sent.count() >= settings.INVITATIONS_PER_DAY:
                # With a limit of 0 nothing was sent: none may be.
                oldest = sent.order_by("created_at").values_list("created_at", flat=True).first()
                raise TooManyInvitations((oldest or timezone.now()) + INVITATION_WINDOW)
            invitation = Invitation.objects.create(
                letter=self, email=email, role=role, invited_by=by
            )
            AuditEvent.record(
                letter=self, actor=by, action="invitation.sent", target=invitation, role=role
            )
        return invitation


class LastOwnerError(ValidationError):
    """Refused: the change would leave the letter without an owner."""


INVITATION_WINDOW = timedelta(days=1)


class TooManyInvitations(ValidationError):
    """Refused: the inviter has sent INVITATIONS_PER_DAY invitations in the last 24 hours."""

    def __init__(self, allowed_again_at):
        self.allowed_again_at = allowed_again_at
        super().__init__(
            ngettext(
                "You have sent %(count)d invitation in the last 24 hours, the most allowed. "
                "You can send another after %(time)s UTC.",
                "You have sent %(count)d invitations in the last 24 hours, the most allowed. "
                "You can send another after %(time)s UTC.",
                settings.INVITATIONS_PER_DAY,
            )
            % {
                "count": settings.INVITATIONS_PER_DAY,
                "time": allowed_again_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            }
        )


class Revision(models.Model):
    """The published text of a letter, as it stood from `created_at` on."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    body_html = models.TextField()
    change_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["letter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self):
        return f"{self.letter.slug} r{self.number}"

    def full_text(self):
        return full_text(self)

    def translate(self, *, language, title, body, summary=""):
        """Add an unofficial translation of this text into `language`, checked as the admin's."""
        translation = Translation(
            letter_id=self.letter_id,
            revision=self,
            language=language,
            title=title,
            summary=summary,
            body=body,
        )
        translation.render()
        translation.full_clean()
        translation.save()
        return translation


class Translation(models.Model):
    """An unofficial translation of one revision; the revision's own text stays canonical.

    The letter is stored as well as the revision so that translations can be edited inline
    on the letter's admin page; `clean()` checks that the two agree.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="translations")
    revision = models.ForeignKey(
        Revision,
        on_delete=models.CASCADE,
        related_name="translations",
        help_text="The published text this translates.",
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField(help_text="Markdown, as in the letter.")
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["revision", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "language"], name="translation_once_per_language"
            )
        ]

    def __str__(self):
        return f"{self.revision} ({self.language})"

    def clean(self):
        if self.revision_id and self.letter_id and self.revision.letter_id != self.letter_id:
            raise ValidationError({"revision": "Choose a revision of this letter."})
        if self.letter_id and self.language == self.letter.language:
            raise ValidationError(
                {"language": "The letter's own text is in this language: it is the canonical one."}
            )

    def render(self):
        """Turn the Markdown body into the HTML the letter page shows, as publishing does."""
        self.body_html = render_markdown(self.body)


class Organizer(models.Model):
    """A person who organizes a letter, with a role that says what they may do."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")
        REVIEWER = "reviewer", _("Reviewer")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="organizers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organizing"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.REVIEWER)
    added_at = models.DateTimeField(default=timezone.now)
    daily_digest = models.BooleanField(
        default=False, help_text="Email this organizer a summary of the letter every day."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter", "user"], name="organizer_once_per_letter")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) on {self.letter}"


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Invitations that can still be accepted: not used, not revoked, not expired."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gt=timezone.now() - INVITATION_LIFETIME,
        )


class Invitation(models.Model):
    """An invitation, sent by email, to organize a letter in a role."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Organizer.Role)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} as {self.role} on {self.letter}"

    def get_absolute_url(self):
        return reverse("organize:accept_invitation", args=[self.token])

    @property
    def expires_at(self):
        return self.created_at + INVITATION_LIFETIME

    @property
    def is_open(self):
        """Neither accepted, nor revoked, nor expired."""
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and timezone.now() < self.expires_at
        )

    def revoke(self, *, by):
        if self.accepted_at is not None:
            raise ValidationError(_("This invitation was already accepted."))
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        AuditEvent.record(letter=self.letter, actor=by, action="invitation.revoked", target=self)

    def accept(self, user):
        """Make `user` an organizer in the invited role; the link then stops working.

        Raises ValidationError when the invitation is used, revoked or expired, when none of
        the account's verified addresses is the invited one, or when the account already
        organizes the letter.
        """
        from allauth.account.models import EmailAddress

        # The invitation row is locked while it is checked and used, so the same link opened
        # twice at once makes one organizer, not two attempts racing the unique constraint.
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().get(pk=self.pk)
            if not invitation.is_open:
                raise ValidationError(
                    _(
                        "This invitation was already used, was revoked, or has expired. "
                        "Ask the letter's owner for a new one."
                    )
                )
            if not EmailAddress.objects.filter(
                user=user, email__iexact=invitation.email, verified=True
            ).exists():
                raise InvitationEmailMismatch(
                    _(
                        "This invitation was sent to another email address. Log in with the "
                        "account whose verified address received it, or add and verify that "
                        "address in your account."
                    )
                )
            if Organizer.objects.filter(letter_id=invitation.letter_id, user=user).exists():
                raise ValidationError(_("You already organize this letter."))
            organizer = Organizer.objects.create(
                letter_id=invitation.letter_id, user=user, role=invitation.role
            )
            invitation.accepted_at = timezone.now()
            invitation.accepted_by = user
            invitation.save(update_fields=["accepted_at", "accepted_by"])
            AuditEvent.record(
                letter=invitation.letter,
                actor=user,
                action="invitation.accepted",
                target=organizer,
                role=invitation.role,
            )
        self.accepted_at, self.accepted_by = invitation.accepted_at, user
        return organizer


class InvitationEmailMismatch(ValidationError):
    """Refused: the account accepting has not verified the address the invitation went to."""


class AuditEvent(models.Model):
    """One thing a person (or the system) did to a letter or its signatures. Append-only."""

    letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the trail still says who acted after an account is deleted, and
    # names actors that are not users ("signer", "system").
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["letter", "-created_at"], name="audit_letter_recent")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    @classmethod
    def record(cls, *, letter, actor, action, target=None, **detail):
        """Append an event. `actor` is a user, or a label such as "signer" or "system"."""
        user = actor if getattr(actor, "pk", None) else None
        label = (user.get_username() if user else str(actor or "system"))[:254]
        target_type = target_id = target_label = ""
        if target is not None:
            target_type = target._meta.model_name
            target_id = str(getattr(target, "public_id", None) or target.pk)
            target_label = str(target)[:300]
        return cls.objects.create(
            letter=letter,
            actor=user,
            actor_label=label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            detail=detail,
        )


def letter_changed(letter_id):
    """Record that the letter's public signatures changed, for Last-Modified and caches.

    Kept in the cache, not a column: a column would be one hot row updated per signature. Best
    effort: it follows a committed change, which a cache outage must not report as failed.
    """
    with best_effort("the letter's change time"):
        cache.set(f"letter-changed:{letter_id}", time.time(), None)


def letter_changed_at(letter_id):
    """When the letter's public signatures last changed (now, if nobody recorded it)."""
    return get_or_set(f"letter-changed:{letter_id}", time.time, None)


class LetterNotice(models.Model):
    """That a signer was emailed about one revision, so a notice task run twice sends once."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="notices")
    signature = models.ForeignKey(
        "signatories.Signature", on_delete=models.CASCADE, related_name="notices"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "signature"], name="letter_notice_once_per_signature"
            )
        ]

    def __str__(self):
        return f"{self.revision} → {self.signature_id}"
