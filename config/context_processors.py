from django.conf import settings


def site(request):
    """Settings that pages quote to visitors, so the words match what is in force."""
    return {"confirmation_max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS}
