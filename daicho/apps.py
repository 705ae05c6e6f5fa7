from django.apps import AppConfig


class DaichoConfig(AppConfig):
    name = "daicho"
    verbose_name = "daicho"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their job kinds and periodic checks as well as their listeners.
        from django.core.signals import request_finished, request_started

        from daicho.services import (  # noqa: F401
            audit_anchor,
            events,
            indexes,
            lookup_copies,
            lookups,
            notifications,
            orgs,
            reminders,
            webhook_delivery,
            webhooks,
        )
        from daicho.services.audit import connect_signals

        connect_signals()
        _bind_link_gate()
        events.listen(notifications.on_events)
        events.listen(webhooks.on_events)
        events.listen(lookups.on_events)
        events.listen(lookup_copies.on_events)
        # Reads only note the indexes they miss; the jobs are asked for after the response.
        request_started.connect(indexes.forget_wanted, dispatch_uid="daicho.indexes.forget")
        request_finished.connect(indexes.request_wanted, dispatch_uid="daicho.indexes.request")


def _bind_link_gate() -> None:
    """Link fields ask the gate through daicho.fields.refs.LinkGate: the field types sit below
    the gate and the gated reads, so they are handed these rather than importing them."""
    from daicho import access
    from daicho.fields.refs import LinkGate
    from daicho.selectors.records import record_exists

    LinkGate.bind(may_view=lambda user, ledger: access.has_right(user, ledger, "view"),
                  record_exists=record_exists)
