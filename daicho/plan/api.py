"""/api/v1/plan: the roadmap, the KPIs and the integration candidates of the IT optimisation plan
(contract §6)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from daicho import access
from daicho.api import api
from daicho.errors import InvalidInput
from daicho.plan import candidates, kpi, roadmap_xlsx


@api.get("/plan/roadmap", tags=["plan"])
def roadmap(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return kpi.roadmap(request.user)


@api.get("/plan/kpis", tags=["plan"])
def kpis(request: HttpRequest, fy: int | None = None) -> dict[str, Any]:
    access.require_user(request.user)
    year = fy if fy is not None else kpi.current_fiscal_year()
    return {"fiscal_year": year, "items": kpi.kpis(request.user, year)}


@api.get("/plan/roadmap/export", tags=["plan"])
def roadmap_export(request: HttpRequest, format: str = "xlsx") -> HttpResponse:
    access.require_user(request.user)
    if format != "xlsx":
        raise InvalidInput(_("The roadmap is exported as xlsx only."), code="invalid_format")
    response = HttpResponse(roadmap_xlsx.export(request.user),
                            content_type=roadmap_xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{roadmap_xlsx.title()}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/plan/candidates", tags=["plan"])
def integration_candidates(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return {"items": candidates.find(request.user)}
