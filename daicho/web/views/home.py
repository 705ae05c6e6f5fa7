"""Home: my ledgers (searched, grouped, recently opened), recently changed records, a new ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import DaichoError
from daicho.services import designs
from daicho.services import ledgers as ledger_svc
from daicho.web import ledger_list, recent
from daicho.web.views import designs as design_views
from daicho.web.views import process as process_views
from daicho.web.views.common import page


def _ledgers(request: HttpRequest) -> dict[str, Any]:
    q = request.GET.get("q", "")[:200]
    group = request.GET.get("group", "")
    found = ledger_list.ledger_list(request.user, q=q, group=group)
    return {"ledgers": found, "q": q, "group": group if group in ledger_list.GROUPINGS else ""}


@page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {
        **_ledgers(request),
        "recent": recent.recent_changes(request.user),
        "can_create": access.can_create_ledger(request.user),
        "templates": designs.templates(request.user),
        "waiting": process_views.waiting(request.user),
    })


@page
@require_POST
def create_ledger(request: HttpRequest) -> HttpResponse:
    access.require_ledger_creator(request.user)
    try:
        design = design_views.design_from_request(request)
        if design is None:
            schema = ledger_svc.create_ledger(user=request.user, name=request.POST.get("name", ""),
                                              description=request.POST.get("description", ""))
        else:
            schema = design_views.create_from(request, design)
    except DaichoError as exc:
        return render(request, "web/home.html", {
            **_ledgers(request), "recent": recent.recent_changes(request.user),
            "can_create": True, "create_error": exc.message, "form": request.POST,
            "templates": designs.templates(request.user),
            "waiting": process_views.waiting(request.user),
        }, status=exc.status)
    if design is not None:
        messages.success(request, _("The ledger was created from the design. Check its fields "
                                    "(parts) here."))
        return redirect("web:fields", schema.id)
    messages.success(request, _("The ledger was created. Add its fields (parts) here."))
    return redirect("web:fields", schema.id)
