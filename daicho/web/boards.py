"""Calendar and kanban boards: two more ways a saved view shows a ledger's records.

A board is kept in `SavedView.board` (`{"kind": "calendar" | "kanban", "field": CODE,
"mode"?: "month" | "week", "cards"?: [CODE]}`); the view's filters, search and sort apply as in
the grid. Moving a card is an ordinary edit: the board's source turns "this card goes to that
day / that column" into one call of the normal writer with the revision the card was drawn
with, so the revision check, the record rules and the history work as for any other edit.

Where the columns and days come from is a `Source`:

- `DateSource`: a date or date-time field (the calendar); a move sets the day and keeps a
  date-time's time of day (Tokyo time).
- `ChoiceSource`: a field whose value is one of a fixed list (choice, yes/no): its values are
  the kanban's columns, plus 「未設定」 for records without one.

- `StatusSource`: the process status (contract §8), first in `kanban_sources` when the ledger
  has a process: its columns are the statuses, and a move takes the action from the card's
  status to the target that the person may take now (services.process.take_action), so the
  process rules (`by`, condition, mode, comment) decide, not the edit right.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from daicho import access
from daicho.access import AnyUser
from daicho.dates.localtime import TOKYO
from daicho.dates.wareki import format_wareki
from daicho.error_codes import Code
from daicho.errors import Conflict, FieldValueError, Forbidden, InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.temporal import parse_date
from daicho.models import Field
from daicho.selectors import process as flow
from daicho.selectors import records as sel
from daicho.selectors.editable import editable_ids
from daicho.selectors.ledgers import STATUS_CODE, LedgerSchema
from daicho.services import process as process_writer
from daicho.services import records as writer
from daicho.web.widgets import widget_for

KINDS = ("calendar", "kanban")
MODES = ("month", "week")
MAX_CARD_FIELDS = 4
DEFAULT_CARD_FIELDS = 2
CALENDAR_LIMIT = 1000  # records read for one shown month or week
COLUMN_PAGE = 50  # cards per kanban column, then 「もっと見る」
UNSET = ""  # the column key of records without a value


@dataclass(frozen=True)
class Column:
    key: str  # what a card in it holds, as a filter value ("" = none)
    label: str
    filter: str  # the filter that picks its records, in the API's syntax


@dataclass(frozen=True)
class Moved:
    """A saved move: the record as it is now and, when the source has more to say than 「移動
    しました」 (which action was taken, an approval that waits for others), what to say."""

    record: dict[str, Any]
    message: str = ""


class Source:
    """Where a board's places (days, columns) come from and what a move writes."""

    code: str  # what a saved view names: a field code, or "status"
    name: str

    def writable_by(self, schema: LedgerSchema) -> bool:
        """Whether the person `schema` was made for may move cards at all (the edit right and
        the field open to them); each record is checked as well (selectors.editable)."""
        raise NotImplementedError

    def value_for(self, record: dict[str, Any], to: str) -> Any:
        """The field's new JSON value when `record` moves to the place `to`."""
        raise NotImplementedError

    def key_of(self, record: dict[str, Any]) -> str:
        """The place (a column's key, a day) where `record` is drawn."""
        raise NotImplementedError

    def movable(self, user: AnyUser, schema: LedgerSchema,
                records: Sequence[dict[str, Any]]) -> dict[int, list[str]]:
        """The cards among `records` that `user` may drag, each with the places whose move
        needs a comment (none for a field): the edit right on the record as it is now."""
        if not self.writable_by(schema):
            return {}
        return {rid: [] for rid in editable_ids(user, schema, [r["id"] for r in records])}

    def move(self, *, user: AnyUser, schema: LedgerSchema, record_id: Any, revision: Any,
             to: str, comment: Any = None) -> Moved:
        """Move one card: the normal writer with the revision the card was drawn with. A card
        the person may see but not move is refused with the reason (403 `move_not_allowed`)."""
        row = sel.get_row(user, schema, record_id)
        if not self.writable_by(schema) or not editable_ids(user, schema, [row.id]):
            raise Forbidden(_("You may not change 「%(name)s」 of this record, so it was not "
                              "moved.") % {"name": self.name}, code=Code.MOVE_NOT_ALLOWED)
        record = sel.record_json(schema, row, ValueContext())
        return Moved(writer.update_record(user=user, schema=schema, record_id=record_id,
                                          revision=revision,
                                          values={self.code: self.value_for(record, to)}))


@dataclass
class FieldSource(Source):
    field: Field

    def __post_init__(self) -> None:
        self.code, self.name = self.field.code, self.field.name

    def writable_by(self, schema: LedgerSchema) -> bool:
        grant = schema.grant
        return (grant is not None and grant.holds("edit") and schema.type_of(self.field).writable
                and self.field.code not in grant.read_only("edit"))


class DateSource(FieldSource):
    def value_for(self, record: dict[str, Any], to: str) -> Any:
        try:  # a day dropped on, or typed in the card's menu (2024-04-01, R6.4.1, 令和6年4月1日)
            day = parse_date(to)
        except FieldValueError as exc:
            raise InvalidInput(exc.message, code=Code.INVALID_MOVE) from None
        if not self.timed:
            return day.isoformat()
        old = record["values"].get(self.code)
        at = dt.datetime.fromisoformat(old).astimezone(TOKYO).time() if old else dt.time(9)
        return dt.datetime.combine(day, at, TOKYO).isoformat()

    @property
    def timed(self) -> bool:
        return widget_for(self.field).editor == "datetime"

    def period_filters(self, first: dt.date, last: dt.date) -> list[str]:
        """The filters that keep the records of the days first…last (Tokyo days)."""
        if not self.timed:
            return [f"{self.code}:ge:{first.isoformat()}", f"{self.code}:le:{last.isoformat()}"]
        start = dt.datetime.combine(first, dt.time(), TOKYO)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TOKYO)
        return [f"{self.code}:ge:{start.isoformat()}", f"{self.code}:lt:{end.isoformat()}"]

    def key_of(self, record: dict[str, Any]) -> str:
        day = self.day_of(record)
        return day.isoformat() if day else ""

    def day_of(self, record: dict[str, Any]) -> dt.date | None:
        value = record["values"].get(self.code)
        if not value:
            return None
        if self.timed:
            return dt.datetime.fromisoformat(value).astimezone(TOKYO).date()
        return dt.date.fromisoformat(value)


class ChoiceSource(FieldSource):
    def columns(self, schema: LedgerSchema, counts: dict[str, int]) -> list[Column]:
        """One column per value of the list, a value some record still holds that the list no
        longer has, and 「未設定」 last."""
        values = schema.type_of(self.field).condition_values(self.field) or []
        known = {key for key, _label in values}
        values += [(key, key) for key in counts if key and key not in known]
        code = self.code
        return [Column(key, label, f"{code}:eq:{key}") for key, label in values] + \
            [Column(UNSET, _("Not set"), f"{code}:empty")]

    def key_of(self, record: dict[str, Any]) -> str:
        value = record["values"].get(self.code)
        return "" if value is None else widget_for(self.field).text_of(self.field, value)

    def counts(self, user: AnyUser, schema: LedgerSchema, filters: Sequence[str],
               search: str) -> dict[str, int]:
        ctx = ValueContext()
        groups = sel.aggregate(user, schema, group_by=self.code, metric="count",
                               filters=filters, search=search, ctx=ctx)
        return {self.key_of({"values": {self.code: g["key"]}}): int(g["value"]) for g in groups}

    def value_for(self, record: dict[str, Any], to: str) -> Any:
        return to or None


class StatusSource(Source):
    """The process status: columns are the statuses, a move takes the action leading there."""

    def __init__(self, schema: LedgerSchema) -> None:
        self.code, self.name = STATUS_CODE, schema.field(STATUS_CODE).name
        self.statuses: list[str] = list((schema.process or {}).get("statuses", []))

    def writable_by(self, schema: LedgerSchema) -> bool:
        # Taking an action needs the view right and being named by it, not the edit right;
        # each card is asked (`movable`).
        return schema.grant is None or schema.grant.holds("view")

    def columns(self, schema: LedgerSchema, counts: dict[str, int]) -> list[Column]:
        """The statuses in the process's order, then any status records of an older version
        of the process still hold."""
        names = self.statuses + [key for key in counts if key and key not in self.statuses]
        return [Column(name, name, f"{STATUS_CODE}:eq:{name}") for name in names]

    def key_of(self, record: dict[str, Any]) -> str:
        return str(record.get("status") or "")

    def counts(self, user: AnyUser, schema: LedgerSchema, filters: Sequence[str],
               search: str) -> dict[str, int]:
        groups = sel.aggregate(user, schema, group_by=STATUS_CODE, metric="count",
                               filters=filters, search=search, ctx=ValueContext())
        return {str(g["key"] or ""): int(g["value"]) for g in groups}

    def value_for(self, record: dict[str, Any], to: str) -> Any:
        return to

    def movable(self, user: AnyUser, schema: LedgerSchema,
                records: Sequence[dict[str, Any]]) -> dict[int, list[str]]:
        """The cards from whose status `user` may take some action now, each with the
        statuses whose action (the first the person may take) needs a comment."""
        if not records or not self.writable_by(schema):
            return {}
        full = schema.full
        rows = sel.get_rows(user, full, [r["id"] for r in records])
        out: dict[int, list[str]] = {}
        for row in rows.values():
            offers = _first_per_target(flow.offers(user, full, row))
            if offers:
                out[row.id] = [to for to, offer in offers.items()
                               if offer.action.get("comment_required")]
        return out

    def move(self, *, user: AnyUser, schema: LedgerSchema, record_id: Any, revision: Any,
             to: str, comment: Any = None) -> Moved:
        """Take the action from the record's status to `to` that `user` may take now (the
        first one when several lead there), with the card's revision: 403
        `action_not_allowed` when there is none, 409 when the card is stale."""
        row = flow.full_row(user, schema, record_id)
        offer = _first_per_target(flow.offers(user, schema.full, row)).get(to)
        if offer is None:
            if isinstance(revision, int) and revision != row.revision:
                seen = access.grant_of(user, schema).schema("view")
                raise Conflict(_("Someone else changed this record after you opened it. "
                                 "Please check it and try again."),
                               details={"current": sel.record_json(seen, row, ValueContext())})
            raise Forbidden(_("There is no action you may take now that moves this record "
                              "from 「%(from)s」 to 「%(to)s」.")
                            % {"from": row.status, "to": to[:100]}, code=Code.ACTION_NOT_ALLOWED)
        name = offer.action["name"]
        record = process_writer.take_action(user=user, schema=schema, record_id=row.id,
                                            action=name, revision=revision, comment=comment)
        if record.get("status") == to:
            return Moved(record, _("「%(action)s」 was taken: the status is now 「%(status)s」.")
                         % {"action": name, "status": to})
        given = len(offer.approved_by) + 1
        return Moved(record, _("Your approval for 「%(action)s」 was recorded (%(action)s "
                               "%(given)d/%(needed)d). The card stays until enough approvers "
                               "have approved.")
                     % {"action": name, "given": given, "needed": offer.needed})


def _first_per_target(offers: Sequence[flow.Offer]) -> dict[str, flow.Offer]:
    """Per status an action leads to, the first action (in the process's order) that leads
    there among those the person may take."""
    out: dict[str, flow.Offer] = {}
    for offer in offers:
        out.setdefault(offer.action["to"], offer)
    return out


def calendar_sources(schema: LedgerSchema) -> list[DateSource]:
    """The fields a calendar can be drawn by: those the type stores as a date or a moment."""
    return [DateSource(f) for f in schema.fields
            if schema.type_of(f).storage in ("date", "datetime")]


def kanban_sources(schema: LedgerSchema) -> list[Source]:
    """What a kanban's columns can be: the process status first when the ledger has a process,
    then the fields holding one value of a fixed list."""
    status: list[Source] = [StatusSource(schema)] if schema.process is not None else []
    return status + [ChoiceSource(f) for f in schema.fields
                     if widget_for(f).editor == "select" and schema.type_of(f).condition_values(f)]


def sources(schema: LedgerSchema, kind: str) -> Sequence[Source]:
    return calendar_sources(schema) if kind == "calendar" else kanban_sources(schema)


def source_for(schema: LedgerSchema, kind: str, code: Any) -> Source:
    found = next((s for s in sources(schema, kind) if s.code == code), None)
    if found is None:
        raise InvalidInput(_("This field cannot be used for a calendar or a kanban board."),
                           code=Code.INVALID_BOARD)
    return found


def clean_board(schema: LedgerSchema, board: Any) -> dict[str, Any]:
    """A saved view's board as it is stored: checked against the ledger, {} for the grid."""
    if not board:
        return {}
    if not isinstance(board, dict) or board.get("kind") not in KINDS:
        raise InvalidInput(_("A board is a calendar or a kanban."), code=Code.INVALID_BOARD)
    kind = str(board["kind"])
    source = source_for(schema, kind, board.get("field"))
    out: dict[str, Any] = {"kind": kind, "field": source.code}
    if kind == "calendar":
        out["mode"] = board.get("mode") if board.get("mode") in MODES else "month"
    else:
        out["cards"] = card_codes(schema, board.get("cards"), source.code)
    return out


def kept_board(schema: LedgerSchema, board: Any) -> dict[str, Any]:
    """A saved view's board carried over when the view is saved again from another page: {}
    (the grid) when its field was deleted or hidden since, so the view can still be saved."""
    try:
        return clean_board(schema, board)
    except InvalidInput:
        return {}


def card_codes(schema: LedgerSchema, asked: Any, source: str) -> list[str]:
    """The fields a kanban card shows besides its title: those asked for that the person may
    see, else the first few."""
    if isinstance(asked, list) and asked:
        return [c for c in dict.fromkeys(map(str, asked)) if c in schema.by_code][:MAX_CARD_FIELDS]
    from daicho.web.grid import title_field  # here: grid → web.saved_views → this module

    title = title_field(schema)
    skip = {source, title.code if title else ""}
    return [f.code for f in schema.fields if f.code not in skip][:DEFAULT_CARD_FIELDS]


# -- the calendar's period --------------------------------------------------------------------

WEEKDAYS = 7


@dataclass
class Period:
    """The days a calendar shows: whole weeks from Sunday, covering the month or one week."""

    mode: str
    at: dt.date  # the day asked for; the month or week around it is shown
    first: dt.date = field(init=False)
    last: dt.date = field(init=False)

    def __post_init__(self) -> None:
        start = self.at.replace(day=1) if self.mode == "month" else self.at
        self.first = start - dt.timedelta(days=(start.weekday() + 1) % WEEKDAYS)
        if self.mode == "month":
            end = self.at.replace(day=calendar.monthrange(self.at.year, self.at.month)[1])
            self.last = end + dt.timedelta(days=(5 - end.weekday()) % WEEKDAYS)
        else:
            self.last = self.first + dt.timedelta(days=WEEKDAYS - 1)

    def weeks(self) -> list[list[dt.date]]:
        days = (self.last - self.first).days + 1
        every = [self.first + dt.timedelta(days=n) for n in range(days)]
        return [every[i:i + WEEKDAYS] for i in range(0, days, WEEKDAYS)]

    def step(self, direction: int) -> dt.date:
        """The day the previous (-1) or next (+1) month or week is asked by."""
        if self.mode == "week":
            return self.at + dt.timedelta(days=WEEKDAYS * direction)
        month = self.at.month - 1 + direction
        year, month = self.at.year + month // 12, month % 12 + 1
        return dt.date(year, month, 1)

    def heading(self, wareki: bool) -> str:
        """「2024年4月」 or 「2024年4月7日〜4月13日」, with 和暦 after it when the field uses it."""
        if self.mode == "month":
            text = _("%(year)d/%(month)d") % {"year": self.at.year, "month": self.at.month}
            era = format_wareki(self.at, "month") if wareki else ""
        else:
            text = _("%(first)s to %(last)s") % {"first": _day_text(self.first),
                                                   "last": _day_text(self.last)}
            era = f"{format_wareki(self.first)}〜{format_wareki(self.last)}" if wareki else ""
        return f"{text}（{era}）" if era else text


def _day_text(day: dt.date) -> str:
    return _("%(year)d/%(month)d/%(day)d") % {"year": day.year, "month": day.month,
                                              "day": day.day}


def parse_day(text: Any) -> dt.date:
    """The day a calendar page is asked for (`at=YYYY-MM-DD`), today when absent or unreadable."""
    try:
        day = dt.date.fromisoformat(str(text))
    except ValueError:
        return dt.datetime.now(TOKYO).date()
    return day if 1868 <= day.year <= 2200 else dt.datetime.now(TOKYO).date()


def calendar_records(user: AnyUser, schema: LedgerSchema, source: DateSource, period: Period,
                     *, filters: Sequence[str], search: str,
                     ctx: ValueContext) -> tuple[list[dict[str, Any]], bool]:
    """The records of the shown days (the page's filters and search too), in date order, at
    most CALENDAR_LIMIT; True when there were more."""
    every = [*filters, *source.period_filters(period.first, period.last)]
    out: list[dict[str, Any]] = []
    cursor = None
    while len(out) < CALENDAR_LIMIT:
        page = sel.list_records(user, schema, filters=every, search=search, ctx=ctx,
                                sort=source.code, cursor=cursor,
                                limit=min(500, CALENDAR_LIMIT - len(out)))
        out += sel.records_json(schema, page.rows, ctx)
        cursor = page.next_cursor
        if cursor is None:
            return out, False
    return out, True


def column_page(user: AnyUser, schema: LedgerSchema, column: Column, *, filters: Sequence[str],
                search: str, sort: str, cursor: str | None,
                ctx: ValueContext) -> tuple[list[sel.Row], str | None]:
    """One page of a kanban column's rows and the cursor of the next (None: no more). The
    caller makes the record JSON of all columns at once (names of people and departments are
    looked up once per page, not per column)."""
    page = sel.list_records(user, schema, filters=[*filters, column.filter], search=search,
                            sort=sort or None, cursor=cursor, limit=COLUMN_PAGE, ctx=ctx)
    return page.rows, page.next_cursor


def query(params: list[tuple[str, str]]) -> str:
    return "?" + urlencode(params)
