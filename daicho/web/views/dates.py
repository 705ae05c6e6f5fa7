"""The reading of a typed date, for the date editor (js/dates.js): what the server will store
for the text, shown before saving, parsed by the same code as every write (daicho.fields)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_wareki
from daicho.errors import FieldValueError
from daicho.fields.temporal import check_year, parse_date, read_datetime
from daicho.web.views.common import json_endpoint

MAX_TEXT = 40


def _era(date: dt.date, precision: str) -> str:
    try:
        return format_wareki(date, "month" if precision == "month" else "day")
    except ValueError:  # before 明治: no era name exists
        return ""


def reading(text: str, kind: str) -> dict[str, str | None]:
    """{"value": ISO text or None, "reading": 「令和6年4月1日（2024-04-01）」, "message": why not}."""
    try:
        if kind == "datetime":
            moment = read_datetime(text)
            local = moment.astimezone(TOKYO)
            check_year(local, text)
            iso = local.strftime("%Y-%m-%d %H:%M")
            era = _era(local.date(), "day")
            clock = f"{local.hour}:{local.minute:02d}"
            return {"value": iso, "reading": f"{era} {clock}（{iso}）" if era else iso,
                    "message": None}
        date = parse_date(text)
    except FieldValueError as exc:
        return {"value": None, "reading": None, "message": exc.message}
    iso = date.isoformat()[:7] if kind == "month" else date.isoformat()
    era = _era(date, kind)
    return {"value": iso, "reading": f"{era}（{iso}）" if era else iso, "message": None}


@require_GET
@json_endpoint
def date_reading(request: HttpRequest) -> JsonResponse:
    text = str(request.GET.get("text", "")).strip()[:MAX_TEXT]
    kind = str(request.GET.get("kind", "date"))
    if not text:
        return JsonResponse({"value": None, "reading": None, "message": None})
    return JsonResponse(reading(text, kind if kind in ("date", "month", "datetime") else "date"),
                        json_dumps_params={"ensure_ascii": False})
