from django.apps import AppConfig


class DaichoConfig(AppConfig):
    name = "daicho"
    verbose_name = "daicho"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their job kinds and periodic checks as well as their listeners.
        from daicho.services import (  # noqa: F401
            events,
            lookup_copies,
            lookups,
            notifications,
            reminders,
            webhook_delivery,
            webhooks,
        )
        from daicho.services.audit import connect_signals

        connect_signals()
        events.listen(notifications.on_events)
        events.listen(webhooks.on_events)
        events.listen(lookups.on_events)
        events.listen(lookup_copies.on_events)
