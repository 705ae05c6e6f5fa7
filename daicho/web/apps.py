from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "daicho.web"
    label = "daicho_web"
    verbose_name = "daicho web UI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from daicho.services import designs
        from daicho.web.saved_views import apply_views, export_views

        designs.register(designs.Part("views", export_views, apply_views))
