"""Security headers Django has no setting for."""

from django.conf import settings


def permissions_policy_header(policy):
    """{"camera": []} → "camera=()"; {"fullscreen": ["self"]} → "fullscreen=(self)"."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class PermissionsPolicyMiddleware:
    """Add Permissions-Policy to every response, so no page (or script injected into one) can
    ask for the camera, the microphone, the location or payment."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
