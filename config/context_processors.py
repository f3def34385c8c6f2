from django.conf import settings


def site(request):
    """Settings that pages quote to visitors, so the words match what is in force."""
    from signatories.safeguards import SiteSettings

    return {
        "confirmation_max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        # The operator's banner and switches, read through the cache (no query per page).
        "site_settings": SiteSettings.current(),
    }


def organizer(request):
    """On workspace pages, the powers of the organizer's role, so templates show only what
    they may do (the views check again)."""
    membership = getattr(request, "organizer", None)
    if membership is None:
        return {}
    from letters.permissions import powers_of

    return {"membership": membership, "powers": powers_of(membership.role)}
