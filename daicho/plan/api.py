"""/api/v1/plan: the roadmap and the KPIs of the IT optimisation plan (contract §6)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from daicho import access
from daicho.api import api
from daicho.plan import kpi


@api.get("/plan/roadmap", tags=["plan"])
def roadmap(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return kpi.roadmap(request.user)


@api.get("/plan/kpis", tags=["plan"])
def kpis(request: HttpRequest, fy: int | None = None) -> dict[str, Any]:
    access.require_user(request.user)
    year = fy if fy is not None else kpi.current_fiscal_year()
    return {"fiscal_year": year, "items": kpi.kpis(request.user, year)}
