from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "daicho.web"
    label = "daicho_web"
    verbose_name = "daicho web UI"
    default_auto_field = "django.db.models.BigAutoField"
