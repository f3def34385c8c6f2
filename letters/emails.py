from django.urls import reverse

from config.mail import send_templated


def send_daily_digest(organizer, numbers):
    letter = organizer.letter
    send_templated(
        "daily-digest",
        to=organizer.user.email,
        context={
            "letter": letter,
            "numbers": numbers,
            "url": reverse("organize:dashboard", args=[letter.slug]),
        },
    )
