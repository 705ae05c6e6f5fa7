from django.urls import include, path, re_path

from daicho.api import api, not_found_view
from daicho.plan import api as plan_api  # noqa: F401  (registers /api/v1/plan)
from daicho.views import healthz

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", healthz),
    re_path(r"^api/", not_found_view),
    path("", include("daicho.web.urls")),
]
