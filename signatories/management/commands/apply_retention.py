from django.core.management.base import BaseCommand

from signatories.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Delete unconfirmed signatures past UNCONFIRMED_RETENTION_DAYS and erase emails and "
        "client addresses on letters closed more than CLOSED_LETTER_RETENTION_DAYS ago. "
        "Idempotent: run it daily."
    )

    def handle(self, *args, **options):
        result = apply_retention()
        self.stdout.write(
            f"Deleted {result.unconfirmed_deleted} unconfirmed signatures; "
            f"erased {result.redacted} signatures' addresses "
            f"on {result.letters_redacted} closed letters."
        )
