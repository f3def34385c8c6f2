from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"

    def ready(self):
        from signatories import checks  # noqa: F401 (registers the system checks)
