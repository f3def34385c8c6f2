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
        },
    )
