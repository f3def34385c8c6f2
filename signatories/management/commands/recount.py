"""`manage.py recount`: recount every public letter from its signatures and repair the totals.

Run it periodically (hourly in docs/deploy.md). Any drift it reports means some change was
counted wrongly and deserves a look; the totals are correct again either way.
"""

from django.core.management.base import BaseCommand

from letters.models import Letter
from signatories.models import recount, roll_up


class Command(BaseCommand):
    help = "Recount letters from their signatures, repair the rolled-up totals, report drift."

    def handle(self, *args, **options):
        roll_up()
        drifted = 0
        for letter in Letter.objects.public():
            drift = recount(letter)
            if drift:
                drifted += 1
                changes = ", ".join(f"{level} {n:+d}" for level, n in sorted(drift.items()))
                self.stderr.write(f"{letter.slug}: drift corrected (shown minus true: {changes})")
        self.stdout.write(
            f"Recounted {Letter.objects.public().count()} letters; {drifted} had drifted."
        )
