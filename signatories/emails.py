from config.mail import send_templated


def send_confirmation(signature, *, headers=None):
    send_templated(
        "confirm",
        to=signature.email,
        headers=headers,
        context={
            "signature": signature,
            "letter": signature.letter,
            "url": signature.confirmation_url(),
        },
    )


def send_already_signed(signature, *, headers=None):
    send_templated(
        "already-signed",
        to=signature.email,
        headers=headers,
        context={
            "signature": signature,
            "letter": signature.letter,
            "url": signature.letter.get_absolute_url(),
            "manage_url": signature.manage_url(),
        },
    )


def send_manage_link(signature, *, headers=None):
    """The signer's link to change how they are shown, download their data or withdraw."""
    send_templated(
        "manage",
        to=signature.email,
        headers=headers,
        context={
            "signature": signature,
            "letter": signature.letter,
            "url": signature.manage_url(),
        },
    )


def send_abuse_report(letter, *, to, hour, groups):
    """An owner's hourly report of signatures from one address or domain above thresholds."""
    send_templated(
        "abuse-report",
        to=to,
        context={"letter": letter, "hour": hour, "groups": groups},
    )
