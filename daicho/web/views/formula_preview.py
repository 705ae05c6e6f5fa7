"""The field designer's live preview of a formula (js/formula.js): the values it gives for a
few real records, or the error with its position, as saving it would answer."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from daicho import access
from daicho.services import formulas
from daicho.web.views.common import json_endpoint

MAX_EXPRESSION = 4000


@require_GET
@json_endpoint
def formula_preview(request: HttpRequest, ledger_id: int) -> JsonResponse:
    schema = access.ledger_for(request.user, ledger_id, "manage")
    data = request.GET
    options: dict[str, object] = {"expression": data.get("expression", "")[:MAX_EXPRESSION + 1],
                                  "result": data.get("result", "number")}
    if options["result"] == "number":
        decimals = data.get("decimals", "0").strip()
        options["decimals"] = int(decimals) if decimals.isdecimal() and len(decimals) < 4 \
            else decimals
        options["rounding"] = data.get("rounding", "half_up")
    items = formulas.preview(user=request.user, schema=schema, code=data.get("code") or None,
                             options=options)
    return JsonResponse({"items": items}, json_dumps_params={"ensure_ascii": False})
