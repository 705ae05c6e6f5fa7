"""The import report (contract §3.1) as text for the person at the terminal: `daicho import`
without --json. It says what --json says, in the order a clerk checks it: what was done, which
sheet and header row were read (and what the other sheets hold), the fields with their types,
the columns kept as text and why, then the rows left out and the other notes."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from daicho.fields import REGISTRY
from daicho.i18n import join_list

SHOWN = 30  # lines per list; --json has them all


def success_text(report: dict[str, Any], *, new_ledger: bool) -> str:
    lines = [_summary(report, new_ledger=new_ledger)]
    lines += _source(report)
    lines += _fields(report)
    if new_ledger:  # into an existing ledger the fields' types decide, not the file's values
        lines += _text_columns(report)
    if report.get("errors"):  # --skip-bad-rows: the rows left out for their values
        lines.append(_("Rows left out for values that cannot be stored (%(n)d):")
                     % {"n": report.get("skipped_rows") or len(report["errors"])})
        lines += _errors(report)
    lines += _warnings(report)
    return "\n".join(lines)


def failure_text(report: dict[str, Any]) -> str:
    """The refusal and the rows that cannot be stored (for stderr)."""
    return "\n".join([report["error"]["message"], *_errors(report)])


def _errors(report: dict[str, Any]) -> list[str]:
    errors = report.get("errors") or []
    lines = []
    for e in errors[:SHOWN]:
        if e.get("value"):
            line = _("Row %(row)s 「%(field)s」: %(message)s (value: 「%(value)s」)") % e
        else:
            line = _("Row %(row)s 「%(field)s」: %(message)s") % e
        lines.append("  " + line)
    return lines + _more(max(len(errors), int(report.get("error_count") or 0)) - SHOWN)


def _summary(report: dict[str, Any], *, new_ledger: bool) -> str:
    values = {"name": report["ledger"]["name"], "created": report["created"],
              "updated": report["updated"], "unchanged": report["unchanged"]}
    if new_ledger:
        text = _("Dry run: the new ledger 「%(name)s」 would get %(created)d records. Nothing "
                 "was saved.") if report["dry_run"] else _(
            "Created the ledger 「%(name)s」 with %(created)d records.")
    else:
        text = _("Dry run for the ledger 「%(name)s」: %(created)d records would be added, "
                 "%(updated)d updated, %(unchanged)d left unchanged. Nothing was saved.") \
            if report["dry_run"] else _(
            "Imported into the ledger 「%(name)s」: %(created)d records added, %(updated)d "
            "updated, %(unchanged)d unchanged.")
    return text % values


def _source(report: dict[str, Any]) -> list[str]:
    read = next((s for s in report.get("sheets") or [] if s.get("read")), None)
    values = {"sheet": report.get("sheet") or "", "header": report["header_row"],
              "records": read["records"] if read else _records(report),
              "encoding": report.get("encoding") or ""}
    if report.get("sheet"):
        lines = [_("Sheet: 「%(sheet)s」, headings in row %(header)d, %(records)d data rows.")
                 % values]
    elif report.get("encoding"):
        lines = [_("Headings in row %(header)d, %(records)d data rows; character encoding "
                   "%(encoding)s.") % values]
    else:
        lines = [_("Headings in row %(header)d, %(records)d data rows.") % values]
    others = [s for s in report.get("sheets") or [] if not s.get("read")]
    if others:
        lines.append(_("Other sheets (not read):") + " " + join_list(
            _("「%(name)s」 (%(found)s)") % {"name": s["name"], "found": _sheet_found(s)}
            for s in others[:SHOWN]))
        if len(others) > SHOWN:
            lines[-1] += "…"
        lines.append("  " + _("To read another sheet, give --sheet NAME."))
    return lines


def _records(report: dict[str, Any]) -> int:
    return int(report["created"] + report["updated"] + report["unchanged"]
               + report.get("skipped_rows", 0))


def _sheet_found(sheet: dict[str, Any]) -> str:
    if sheet.get("table"):
        found = _("a table, headings in row %(header)d, %(columns)d columns, %(rows)d rows") % {
            "header": sheet.get("header_row") or 0, "columns": sheet.get("columns") or 0,
            "rows": sheet.get("rows") or 0}
    elif sheet.get("rows"):
        found = _("no table, %(rows)d rows") % {"rows": sheet["rows"]}
    else:
        found = _("empty")
    if sheet.get("hidden"):
        found = join_list([_("hidden"), found])
    return found


def _type_label(key: str) -> str:
    found = REGISTRY.get(key)
    return str(found.label) if found is not None else key


def _fields(report: dict[str, Any]) -> list[str]:
    fields = report.get("fields") or []
    if not fields:
        return []
    width = min(max(_width(f["name"]) for f in fields), 24)
    lines = [_("Fields (%(n)d):") % {"n": len(fields)}]
    for f in fields:
        pad = " " * max(width - _width(f["name"]), 0)
        lines.append(f"  {f['name']}{pad}  {_type_label(f['type'])}  ({f['code']})")
    return lines


def _width(text: str) -> int:
    """Columns the text takes on a terminal (full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text_columns(report: dict[str, Any]) -> list[str]:
    reasons = report.get("text_columns") or []
    if not reasons:
        return []
    lines = [_("Columns kept as text:")]
    for r in reasons[:SHOWN]:
        rows = join_list(str(n) for n in r["rows"][:10]) + ("…" if r["count"] > 10 else "")
        values = {"column": r["column"], "count": r["count"], "rows": rows,
                  "type": _type_label(r["candidate"])}
        if r.get("examples"):
            values.update(row=r["examples"][0]["row"], value=r["examples"][0]["value"])
            line = _("「%(column)s」: %(count)d values cannot be read as %(type)s (rows %(rows)s), "
                     "so the column is text. For example row %(row)d: 「%(value)s」.") % values
        else:
            line = _("「%(column)s」: %(count)d values cannot be read as %(type)s (rows %(rows)s), "
                     "so the column is text.") % values
        lines.append("  " + line)
    return lines


def _warnings(report: dict[str, Any]) -> list[str]:
    """The warnings in two groups: about the file, then about rows in row order. A message
    names its row itself; the row is put in front only of one that does not."""
    warnings = report.get("warnings") or []
    lines: list[str] = []
    general = [w for w in warnings if not w.get("row")]
    rows = sorted((w for w in warnings if w.get("row")), key=lambda w: int(w["row"]))
    if general:
        lines.append(_("Notes:"))
        lines += ["  " + w["message"] for w in general[:SHOWN]]
        lines += _more(len(general) - SHOWN)
    if rows:
        lines.append(_("Rows left out or noted (%(n)d):") % {"n": len(rows)})
        for w in rows[:SHOWN]:
            message = w["message"]
            if str(w["row"]) not in message:
                message = _("Row %(row)s: %(message)s") % {"row": w["row"], "message": message}
            lines.append("  " + message)
        lines += _more(len(rows) - SHOWN)
    return lines


def _more(n: int) -> list[str]:
    return ["  " + _("… and %(n)d more (--json lists them all).") % {"n": n}] if n > 0 else []
