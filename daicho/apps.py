from django.apps import AppConfig


class DaichoConfig(AppConfig):
    name = "daicho"
    verbose_name = "daicho"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from daicho.services.audit import connect_signals

        connect_signals()
        from daicho.services import events, webhook_delivery, webhooks  # noqa: F401  (job kinds)

        events.listen(webhooks.on_events)
