"""/api/v1/plan: the roadmap, the KPIs and the integration candidates of the IT optimisation plan
(contract §6)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Status

from daicho import access
from daicho.api import Body, api
from daicho.api import plan_schemas as schemas
from daicho.error_codes import Code
from daicho.errors import InvalidInput
from daicho.plan import candidates, kpi, revisions, roadmap_xlsx


@api.get("/plan/roadmap", tags=["plan"], response=schemas.RoadmapOut, exclude_unset=True)
def roadmap(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return kpi.roadmap(request.user)


@api.get("/plan/kpis", tags=["plan"], response=schemas.KpiList, exclude_unset=True)
def kpis(request: HttpRequest, fy: int | None = None) -> dict[str, Any]:
    access.require_user(request.user)
    year = fy if fy is not None else kpi.current_fiscal_year()
    return {"fiscal_year": year, "items": kpi.kpis(request.user, year)}


@api.get("/plan/roadmap/export", tags=["plan"])
def roadmap_export(request: HttpRequest, format: str = "xlsx") -> HttpResponse:
    access.require_user(request.user)
    if format != "xlsx":
        raise InvalidInput(_("The roadmap is exported as xlsx only."), code=Code.INVALID_FORMAT)
    response = HttpResponse(roadmap_xlsx.export(request.user),
                            content_type=roadmap_xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{roadmap_xlsx.title()}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api.get("/plan/candidates", tags=["plan"], response=schemas.CandidateList, exclude_unset=True)
def integration_candidates(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return {"items": candidates.find(request.user)}


class RevisionIn(Body):
    label: Any = None
    date: Any = None
    reason: Any = None


@api.get("/plan/revisions", tags=["plan"], response=schemas.PlanVersionList, exclude_unset=True)
def plan_revisions(request: HttpRequest) -> dict[str, Any]:
    access.require_user(request.user)
    return {"items": revisions.versions(request.user)}


@api.post("/plan/revisions", tags=["plan"], response={201: schemas.PlanVersionOut},
          exclude_unset=True)
def plan_revision_save(request: HttpRequest, body: RevisionIn) -> Status[dict[str, Any]]:
    access.require_user(request.user)
    return Status(201, revisions.save(request.user, label=body.label, date=body.date,
                                      reason=body.reason))


@api.get("/plan/revisions/{revision_id}/diff", tags=["plan"], response=schemas.PlanDiffOut,
         exclude_unset=True, by_alias=True)
def plan_revision_diff(request: HttpRequest, revision_id: int,
                       to: int | None = None) -> dict[str, Any]:
    access.require_user(request.user)
    return revisions.diff(request.user, revision_id, to)
