"""The web UI: server-rendered pages (Django templates + htmx) over the same services as the API.

Layout:
- views/: thin page views (parse → access gate → one service or selector call → render).
- widgets.py: how each field type is shown, typed into, filtered and configured (one registry,
  keyed like daicho.fields.REGISTRY); filters.py: the column filter kinds the widgets use.
- grid.py: the list page's state in the URL, keyset paging both ways, rows; grid_controls.py:
  what the page shows around the rows (headers, filter chips, paging and export links, columns).
- forms.py: the record form and what a POST changed (only changed fields are sent, with the
  revision the page was loaded at, so the record services can merge or report a conflict).
- charts.py: SVG charts drawn on the server; crosstab.py: group labels (2024年度, a department's
  name) and the cross-tab labelled for the page and Excel; names.py: display names for logins
  and departments.
- models.py: what the UI keeps itself; saved_views.py (saving, listing and the design part of
  saved views), presence.py (who else has a ledger or record open), recent.py (recently opened
  ledgers, recent changes for the home page) write and read it; people.py: people, departments
  and tokens as the pickers and admin pages list them.
- middleware.py: CSP and the other security headers for every response.

The browser's own script (static/web/js/) is small: the grid's keyboard editing, paste and undo,
the designer's drag and drop, and page helpers. No inline script or style anywhere.
"""
