"""In-app notifications (contract §9): who is told what about which record, and the listener
that turns what the record writers did (daicho.services.events) into notifications.

`notify` is the one way to notify users about a record. It asks the gate, per recipient, whether
they may view the ledger and the record, and hands the text maker only what that recipient sees
(`Seen`: the ledger without their hidden fields, the records they may view), so no text can
name a record or a field value they may not see. It writes in the caller's transaction; mail
goes to the outbox in the same transaction (daicho.services.mail) and out after commit.

The listener reads the ledger's rules from the ledger row it already holds
(daicho.services.notification_rules), so a ledger without rules costs nothing; mentions and
the users a status change waits for are notified without a rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from daicho import access
from daicho.db.dialect import live, q
from daicho.errors import InvalidInput
from daicho.fields.context import ValueContext
from daicho.fields.refs import OrgType, UserType
from daicho.models import Notification, Profile
from daicho.selectors import conditions
from daicho.selectors import records as sel
from daicho.selectors.ledgers import LedgerSchema
from daicho.selectors.orgs import users_in
from daicho.services import mail
from daicho.services.events import RecordEvent
from daicho.services.notification_rules import Rules, rules_of

KINDS = ("create", "update", "status", "comment", "mention", "waiting", "date", "digest",
         "webhook")
LABEL_LENGTH = 40
TEXT_LENGTH = 400


class Seen:
    """One recipient's view of the records a notification is about: the ledger without the
    fields hidden from them (`schema`), and the live records among those asked that they may
    view (`rows`, read when first needed; a digest only counts them).

    Recipients whose record condition and hidden fields are the same see the same rows: they
    share one read (`shared`, the audience's), so telling a whole department costs a query per
    kind of view, not per person."""

    def __init__(self, user: Any, schema: LedgerSchema, ids: list[int],
                 shared: dict[Any, Any]) -> None:
        self.user = user
        self.schema = schema
        self._ids = ids
        self._shared = shared
        self._rows: dict[int, sel.Row] | None = None
        condition, params = schema.grant.predicate("view")
        self._view = (condition, repr(params), schema.hidden)

    @property
    def rows(self) -> dict[int, sel.Row]:
        if self._rows is None:
            key = ("rows", self._view)
            if key not in self._shared:
                self._shared[key] = sel.get_rows(self.user, self.schema, self._ids) \
                    if self._ids else {}
            self._rows = self._shared[key]
        return self._rows

    def count_visible(self, record_ids: set[int]) -> int:
        """How many of `record_ids` (live records) this recipient may view."""
        if self._rows is not None:
            return sum(1 for rid in record_ids if rid in self._rows)
        ids = sorted(record_ids)
        condition = self._view[0]
        if not condition:
            return len(ids)
        key = ("count", self._view, tuple(ids))
        if key not in self._shared:
            _sql, params = self.schema.grant.predicate("view")
            self._shared[key] = len(ids) - conditions.rows_outside(self.schema.full, ids, condition,
                                                            params)
        return int(self._shared[key])

    def sees(self, code: str) -> bool:
        return code in self.schema.by_code

    def label(self, record_id: int) -> str:
        """`#12「本庁舎」`: the record's number and its first field, if this recipient sees it."""
        row = self.rows.get(record_id)
        if row is None or not self.schema.fields:
            return f"#{record_id}"
        f = self.schema.fields[0]
        value = self.schema.type_of(f).to_json(f, row.raw.get(f.code), ValueContext())
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            text = str(value).replace("\n", " ")
            if len(text) > LABEL_LENGTH:
                text = text[:LABEL_LENGTH - 1] + "…"
            return f"#{record_id}「{text}」"
        return f"#{record_id}"

    def field_name(self, code: str) -> str:
        return self.schema.by_code[code].name


TextMaker = Callable[[Seen], str | None]


class Audience:
    """The recipients' views of some records of one ledger, each made once per write (a bulk
    change notifies many people about many records)."""

    def __init__(self, full: LedgerSchema, record_ids: Iterable[int]) -> None:
        # A copy of its own: the gate attaches grants to the schema it is given, and the
        # writer's schema must keep the writer's.
        self.full = LedgerSchema(full.ledger, full.fields)
        self.ids = sorted(set(record_ids))
        self._seen: dict[int, Seen | None] = {}
        self._shared: dict[Any, Any] = {}
        self._users: dict[int, Any] = {}
        self._system: dict[int, sel.Row] | None = None

    def load_users(self, uids: Iterable[int]) -> None:
        wanted = {u for u in uids if u not in self._users}
        if wanted:
            found = {u.id: u for u in get_user_model().objects.filter(id__in=wanted,
                                                                       is_active=True)}
            for uid in wanted:
                self._users[uid] = found.get(uid)
            access.prime_subjects(list(found.values()))

    def seen(self, uid: int) -> Seen | None:
        """What user `uid` sees (None: not an active user, or may not view the ledger)."""
        if uid in self._seen:
            return self._seen[uid]
        self.load_users([uid])
        user = self._users.get(uid)
        found: Seen | None = None
        if user is not None:
            grant = access.grant_for(user, LedgerSchema(self.full.ledger, self.full.fields))
            if grant.holds("view"):
                found = Seen(user, grant.schema("view"), self.ids, self._shared)
        self._seen[uid] = found
        return found

    def record(self, record_id: int) -> sel.Row | None:
        """The live record as it is (every field), for recipients named by it."""
        if self._system is None:
            self._system = sel.get_rows(AnonymousUser(), self.full, self.ids) if self.ids else {}
        return self._system.get(record_id)


def notify(users: Iterable[int], *, kind: str, audience: Audience, record_id: int | None,
           text: TextMaker, mail_too: bool = False) -> list[Notification]:
    """Notify `users` (ids) about record `record_id` of the audience's ledger (None: about the
    ledger as a whole, for a digest whose text counts what each recipient may see). Someone
    who may not view the ledger or that record gets nothing; `text` gets what the recipient
    sees and may answer None (nothing for them). In the caller's transaction; with
    `mail_too`, the mail is queued in it as well."""
    assert kind in KINDS
    uids = sorted(set(users))
    audience.load_users(uids)
    now = timezone.now()
    made: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for uid in uids:
            seen = audience.seen(uid)
            if seen is None or (record_id is not None and record_id not in seen.rows):
                continue
            message = text(seen)
            if not message:
                continue
            if len(message) > TEXT_LENGTH:
                message = message[:TEXT_LENGTH - 1] + "…"
            made.append(Notification(user_id=uid, at=now, kind=kind,
                                     ledger_id=audience.full.id, record_id=record_id,
                                     text=message))
        if not made:
            return []
        if mail_too:
            mail.mark_for_digest(made)
        Notification.objects.bulk_create(made)
        if mail_too:
            mail.queue_notifications([n for n in made if not n.digest_pending],
                                     ledger_name=audience.full.ledger.name)
    return made


# -- who a subject names -----------------------------------------------------------------------

def _org_and_below(code: str, children: bool) -> list[int]:
    from daicho.models import Org

    tree: dict[int | None, list[int]] = {}
    start = []
    for oid, ocode, pid in Org.objects.values_list("id", "code", "parent_id"):
        tree.setdefault(pid, []).append(oid)
        if ocode == code:
            start.append(oid)
    found: list[int] = []
    while start:
        oid = start.pop()
        if oid not in found:
            found.append(oid)
            if children:
                start += tree.get(oid, [])
    return found


def subject_users(spec: dict[str, Any]) -> set[int]:
    """The users a §5 subject names (the record-dependent ones are in `Recipients`)."""
    users = get_user_model().objects.filter(is_active=True)
    if spec.get("everyone") is True:
        return set(users.values_list("id", flat=True))
    if "user" in spec:
        return set(users.filter(username=spec["user"]).values_list("id", flat=True))
    if "role" in spec:
        return {uid for uid, roles in Profile.objects.values_list("user_id", "roles")
                if isinstance(roles, list) and spec["role"] in roles}
    if "org" in spec:
        return users_in(_org_and_below(str(spec["org"]),
                                            bool(spec.get("include_children"))))
    return set()


class Recipients:
    """Who a rule's `to` names for one record, the fixed subjects looked up once per write."""

    def __init__(self, audience: Audience) -> None:
        self.audience = audience
        self._fixed: dict[str, set[int]] = {}

    def of(self, spec: dict[str, Any], record_id: int) -> set[int]:
        if "field" in spec or "creator" in spec:
            row = self.audience.record(record_id)
            if row is None:
                return set()
            if "creator" in spec:
                return {row.created_by} if row.created_by else set()
            f = self.audience.full.by_code.get(spec["field"])
            raw = row.raw.get(spec["field"]) if f is not None else None
            if f is None or raw is None:
                return set()
            ftype = self.audience.full.type_of(f)
            if isinstance(ftype, UserType):
                return {int(raw)}
            return users_in([int(raw)]) if isinstance(ftype, OrgType) else set()
        key = json.dumps(spec, sort_keys=True)
        if key not in self._fixed:
            self._fixed[key] = subject_users(spec)
        return self._fixed[key]


# -- the texts ----------------------------------------------------------------------------------

def _person(uid: int | None) -> str:
    if uid is None:
        return _("someone")
    found = Profile.objects.filter(user_id=uid).values_list("name", "user__username").first()
    return (found[0] or found[1]) if found else _("someone")


def _event_text(kind: str, event: RecordEvent, ledger: str, field: str | None = None,
                ) -> TextMaker:
    person = _person(event.user_id) if kind in ("comment", "mention") else ""

    def make(seen: Seen) -> str | None:
        label = seen.label(event.record_id)
        if kind == "create":
            return _("A record was added to 「%(ledger)s」: %(label)s") % {
                "ledger": ledger, "label": label}
        if kind == "update":
            if field is not None and not seen.sees(field):
                return None
            names = [seen.field_name(c) for c in event.changes if seen.sees(c)]
            if event.changes and not names:
                return None  # only fields hidden from this recipient changed
            return _("%(label)s in 「%(ledger)s」 was changed (%(fields)s).") % {
                "ledger": ledger, "label": label, "fields": "、".join(names) or "—"}
        extra = event.extra
        if kind in ("status", "waiting"):
            values = {"ledger": ledger, "label": label, "old": str(extra.get("from", "")),
                      "new": str(extra.get("to", ""))}
            if kind == "waiting":
                return _("%(label)s in 「%(ledger)s」 is waiting for you (status: %(new)s).") \
                    % values
            return _("The status of %(label)s in 「%(ledger)s」 changed from 「%(old)s」 to "
                     "「%(new)s」.") % values
        values = {"ledger": ledger, "label": label, "person": person,
                  "text": str(extra.get("text", ""))[:200]}
        if kind == "mention":
            return _("%(person)s mentioned you on %(label)s in 「%(ledger)s」: %(text)s") % values
        return _("%(person)s commented on %(label)s in 「%(ledger)s」: %(text)s") % values

    return make


def _digest_text(on: str, ledger: str, record_ids: set[int]) -> TextMaker:
    def make(seen: Seen) -> str | None:
        count = seen.count_visible(record_ids)
        if not count:
            return None
        values = {"count": count, "ledger": ledger}
        if on == "create":
            return _("%(count)d records were added to 「%(ledger)s」 at once.") % values
        return _("%(count)d records in 「%(ledger)s」 were changed at once.") % values

    return make


# -- the listener -------------------------------------------------------------------------------

def _fires(rule: dict[str, Any], event: RecordEvent) -> bool:
    on, action = rule["on"], event.action
    if on == "create":
        return action == "create" or (action == "import" and event.revision == 1)
    if on == "update":
        if action not in ("update", "revert") and not (action == "import"
                                                      and event.revision > 1):
            return False
        return "field" not in rule or rule["field"] in event.changes
    return on == action and on in ("status", "comment")


def matching_ids(full: LedgerSchema, ids: Sequence[int], spec: str) -> set[int]:
    """The live records among `ids` that meet the filter `CODE:OP:VALUE` (none when the filter
    no longer holds: its field was deleted since)."""
    try:
        cond, params = conditions.parse_filter(full, spec, ValueContext())
    except InvalidInput:
        return set()
    found: set[int] = set()
    with connection.cursor() as cur:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            cur.execute(f"SELECT t.id FROM {q(full.table)} t WHERE t.id IN "
                        f"({', '.join(['%s'] * len(chunk))}) AND {live()} AND ({cond})",
                        [*chunk, *params])
            found.update(int(r[0]) for r in cur.fetchall())
    return found


def _user_ids(values: Any) -> set[int]:
    """The user ids an event names (anything else in the list is ignored, never an error that
    would fail the write)."""
    if not isinstance(values, list | tuple | set):
        return set()
    return {int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)}


class Dispatch:
    """One write's events against one ledger's rules: each recipient told once per event."""

    def __init__(self, full: LedgerSchema, events: Sequence[RecordEvent], rules: Rules) -> None:
        self.events = [e for e in events if e.action not in ("delete", "restore")]
        self.rules = rules
        self.audience = Audience(full, (e.record_id for e in self.events))
        self.recipients = Recipients(self.audience)
        self.ledger = full.ledger.name
        self.told: set[tuple[int, int]] = set()  # (user, event index)

    def _tell(self, index: int, uids: set[int], kind: str, text: TextMaker,
              mail_too: bool) -> None:
        event = self.events[index]
        fresh = {u for u in uids if (u, index) not in self.told and u != event.user_id}
        made = notify(fresh, kind=kind, audience=self.audience, record_id=event.record_id,
                      text=text, mail_too=mail_too)
        self.told.update((n.user_id, index) for n in made)

    def run(self) -> None:
        for i, event in enumerate(self.events):
            if event.action == "status":
                waiting = _user_ids(event.extra.get("waiting"))
                self._tell(i, waiting, "waiting", _event_text("waiting", event, self.ledger),
                           True)
            elif event.action == "comment":
                mentioned = _user_ids(event.extra.get("mentions"))
                self._tell(i, mentioned, "mention", _event_text("mention", event, self.ledger),
                           True)
        for rule in self.rules.rules:
            if rule["on"] != "date":
                self._rule(rule)

    def _rule(self, rule: dict[str, Any]) -> None:
        hits = [i for i, e in enumerate(self.events) if _fires(rule, e)]
        if hits and rule.get("filter"):
            keep = matching_ids(self.audience.full,
                                [self.events[i].record_id for i in hits], rule["filter"])
            hits = [i for i in hits if self.events[i].record_id in keep]
        if not hits:
            return
        records = {self.events[i].record_id for i in hits}
        if len(records) > self.rules.digest_over:
            everyone: set[int] = set()
            per_user: dict[int, set[int]] = {}
            for i in hits:
                event = self.events[i]
                for uid in self.recipients.of(rule["to"], event.record_id):
                    if uid != event.user_id:
                        everyone.add(uid)
                        per_user.setdefault(uid, set()).add(event.record_id)
            # Those told about the same records share one write (a rule to a whole department).
            groups: dict[frozenset[int], list[int]] = {}
            for uid in sorted(everyone):
                groups.setdefault(frozenset(per_user[uid]), []).append(uid)
            for record_ids, uids in groups.items():
                notify(uids, kind="digest", audience=self.audience, record_id=None,
                       text=_digest_text(rule["on"], self.ledger, set(record_ids)),
                       mail_too=rule["mail"])
            return
        for i in hits:
            event = self.events[i]
            self._tell(i, self.recipients.of(rule["to"], event.record_id), rule["on"],
                       _event_text(rule["on"], event, self.ledger, rule.get("field")),
                       rule["mail"])


def on_events(schema: LedgerSchema, events: Sequence[RecordEvent]) -> None:
    """The events listener (registered in DaichoConfig.ready): nothing to do, and no query,
    for a ledger without notification rules when nobody is mentioned or waited for."""
    rules = rules_of(schema.ledger)
    if not rules.rules and not any(e.action in ("status", "comment") for e in events):
        return
    with translation.override(settings.LANGUAGE_CODE):  # texts in the city's language
        Dispatch(schema.full, events, rules).run()


# -- reading them: marked read by their owner ---------------------------------------------------

def mark_read(*, user: Any, notification_id: Any) -> Notification:
    """Mark one of the caller's own notifications read (someone else's answers 404)."""
    from daicho.errors import NotFound

    try:
        nid = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = Notification.objects.select_related("ledger").filter(id=nid, user_id=user.pk).first() \
        if 0 < nid < 2**62 else None
    if found is None:
        raise NotFound()
    if found.read_at is None:
        found.read_at = timezone.now()
        Notification.objects.filter(id=found.id, read_at=None).update(read_at=found.read_at)
    return found


def mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at=None).update(
        read_at=timezone.now())


def _managers_of(ledger: Any) -> set[int]:
    """The active users the ledger's `manage` rules name, and the administrators."""
    uids: set[int] = set()
    for rule in ledger.rules or []:
        if isinstance(rule, dict) and "manage" in (rule.get("rights") or []) and \
                isinstance(rule.get("subject"), dict):
            uids |= subject_users(rule["subject"])
    admins = get_user_model().objects.filter(is_active=True, is_superuser=True)
    return uids | set(admins.values_list("id", flat=True))


def tell_managers(schema: LedgerSchema, text: str, *, mail_too: bool = True) -> list[Notification]:
    """A notice about the ledger itself (a suspended webhook) to everyone who manages it, in
    the caller's transaction; each recipient is checked by the gate as for any notice."""
    audience = Audience(schema, [])
    candidates = _managers_of(schema.ledger)
    audience.load_users(candidates)
    managers = [uid for uid in candidates if (seen := audience.seen(uid)) is not None
                and seen.schema.grant.holds("manage")]
    return notify(managers, kind="webhook", audience=audience, record_id=None,
                  text=lambda _seen: text, mail_too=mail_too)
