"""The record page's "related records" section: the records of other ledgers whose link fields
point at this record (contract §7 `related`), loaded after the page, with a link to each, the
whole list in its ledger, and "add a related record" with the link already filled."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from daicho import access
from daicho.selectors import related as related_sel
from daicho.web.grid import record_title
from daicho.web.views.common import page

SHOWN = 5  # records shown per group; the rest is one click away in the other ledger


@page
def related(request: HttpRequest, ledger_id: int, record_id: int) -> HttpResponse:
    schema = access.ledger_for(request.user, ledger_id, "view")
    groups = related_sel.related(request.user, schema, record_id, limit=SHOWN)
    items = []
    for g in groups:
        other, code = g.schema, g.field.code
        link = f"{code}:eq:{record_id}"
        items.append({
            "group": g,
            "records": [{"id": r["id"], "title": record_title(other, r),
                         "url": reverse("web:record", args=[other.id, r["id"]])}
                        for r in g.records],
            "list_url": reverse("web:ledger", args=[other.id]) + "?" + urlencode({"filter": link}),
            "add_url": (reverse("web:record_new", args=[other.id]) + "?"
                        + urlencode({"link": f"{code}:{record_id}"})
                        if access.has_right(request.user, other.ledger, "add")
                        and code not in other.read_only else ""),
        })
    return render(request, "web/record/_related.html", {"items": items})
