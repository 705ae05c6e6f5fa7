"""Print forms on screen: the managers' section of the field designer (add, delete), and the
"帳票" menus of the list (loaded after the page, last in its toolbar) and of the record page (drawn
with it, `daicho.web.print_forms.menu`), whose links lead to the print endpoints of the API
(contract §7) with the list's filters, search and sort."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daicho import access
from daicho.error_codes import Code
from daicho.errors import DaichoError, InvalidInput
from daicho.printforms import pdf, xlsx
from daicho.services import print_forms as svc
from daicho.web import print_forms as print_menus
from daicho.web.views.common import page


@page
def manage(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    return render(request, "web/parts/_print_forms.html", {
        "ledger": schema.ledger, "forms": svc.forms_of(request.user, schema),
        "pdf": pdf.converter() is not None})


@page
@require_POST
def add(request: HttpRequest, ledger_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput(_("Choose the Excel file of the form."), code=Code.NO_FILE)
        form = svc.upload(user=request.user, schema=schema,
                          name=request.POST.get("name") or upload.name or "",
                          data=upload.read(xlsx.MAX_TEMPLATE_BYTES + 1))
    except DaichoError as exc:
        messages.error(request, exc.message)
    else:
        missing = pdf.missing_fonts(set(form.fonts))
        messages.success(request, _("The print form 「%(name)s」 was added.") % {"name": form.name})
        if missing:
            messages.warning(request, _("Its fonts %(fonts)s are not installed on the server: it "
                                        "can be printed as Excel, not as PDF.")
                             % {"fonts": "、".join(missing)})
    return redirect(f"/ledgers/{schema.id}/fields/#print-forms")


@page
@require_POST
def delete(request: HttpRequest, ledger_id: int, form_id: int) -> HttpResponse:
    schema = access.screen_for(request.user, ledger_id, "manage")
    svc.delete(user=request.user, schema=schema, form_id=form_id)
    messages.success(request, _("The print form was deleted."))
    return redirect(f"/ledgers/{schema.id}/fields/#print-forms")


@page
def menu(request: HttpRequest, ledger_id: int) -> HttpResponse:
    """The list's 帳票 menu, for the list as the page shows it (its filters, search and sort).
    Loaded after the page: the list's query count is pinned (tests/web/test_list_page.py)."""
    schema = access.ledger_for(request.user, ledger_id, "view")
    query = [("filter", f) for f in request.GET.getlist("filter")]
    query += [(k, request.GET[k]) for k in ("q", "sort") if request.GET.get(k)]
    return render(request, "web/parts/_print_menu.html",
                  print_menus.menu(request.user, schema, query=query))
