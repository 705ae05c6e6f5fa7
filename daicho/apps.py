from django.apps import AppConfig


class DaichoConfig(AppConfig):
    name = "daicho"
    verbose_name = "daicho"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from daicho.services import events, notifications, reminders  # noqa: F401  (job kinds)
        from daicho.services.audit import connect_signals

        connect_signals()
        events.listen(notifications.on_events)
