"""The project's URLs: the API, the health probe and the web UI."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from daicho.api import api, not_found_view
from daicho.plan import api as plan_api  # noqa: F401  (registers /api/v1/plan)


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", healthz),
    re_path(r"^api/", not_found_view),
    path("", include("daicho.web.urls")),
]
