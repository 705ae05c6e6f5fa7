"""Home: my ledgers, recently changed records, a new ledger."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.errors import DaichoError
from daicho.services import ledgers as ledger_svc
from daicho.web import queries
from daicho.web.views.common import page


@page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {
        "ledgers": access.ledger_list(request.user),
        "recent": queries.recent_changes(request.user),
        "can_create": access.can_create_ledger(request.user),
    })


@page
@require_POST
def create_ledger(request: HttpRequest) -> HttpResponse:
    access.require_ledger_creator(request.user)
    try:
        schema = ledger_svc.create_ledger(user=request.user, name=request.POST.get("name", ""),
                                          description=request.POST.get("description", ""))
    except DaichoError as exc:
        return render(request, "web/home.html", {
            "ledgers": access.ledger_list(request.user), "recent": queries.recent_changes(request.user),
            "can_create": True, "create_error": exc.message, "form": request.POST,
        }, status=exc.status)
    messages.success(request, _("The ledger was created. Add its fields (parts) here."))
    return redirect("web:fields", schema.id)
