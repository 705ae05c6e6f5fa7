"""Attachments: bytes stored under generated names in the data dir, never under a user's path."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from daicho import access, environment
from daicho.access import AnyUser
from daicho.db.dialect import q
from daicho.error_codes import Code
from daicho.errors import InvalidInput, NotFound, TooLarge
from daicho.fields.files import FileType
from daicho.models import Attachment
from daicho.selectors.ledgers import LedgerSchema

CHUNK = 1 << 16


def storage_path(storage_name: str) -> Path:
    return Path(settings.ATTACHMENTS_DIR) / storage_name[:2] / storage_name


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f")[:255]
    return base or "file"


def save_upload(*, user: AnyUser, schema: LedgerSchema, field_code: str, name: str,
                stream: IO[bytes], content_type: str = "") -> Attachment:
    """Store an upload for a file field of a record being added or edited: the user must hold
    add or edit, and the field must be one they may write with either (hidden ones do not
    exist for them)."""
    grant = access.grant_of(user, schema)
    rights = [r for r in ("add", "edit") if grant.holds(r)]
    if not rights:
        raise NotFound()
    f = grant.schema("view").field(field_code)
    if all(f.code in grant.read_only(r) for r in rights):
        raise InvalidInput(_("You may read this field but not change it."), code=Code.READ_ONLY_FIELD)
    if not isinstance(schema.type_of(f), FileType):
        raise InvalidInput(_("The field 「%(name)s」 is not an attachment field.") % {"name": f.name},
                           code=Code.NOT_A_FILE_FIELD)
    limit = int(f.options.get("max_bytes") or settings.DAICHO["MAX_FILE_BYTES"])
    storage_name = secrets.token_hex(16)
    path = storage_path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    tmp = path.with_suffix(".part")
    try:
        with environment.private_open(tmp) as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(_("The file is larger than %(n)d bytes.") % {"n": limit},
                                   code=Code.FILE_TOO_LARGE)
                digest.update(chunk)
                out.write(chunk)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return Attachment.objects.create(
        ledger_id=schema.id, field_code=f.code, name=_clean_filename(name), size=size,
        content_type=(content_type or "application/octet-stream")[:200],
        sha256=digest.hexdigest(), storage_name=storage_name,
        created_by_id=user.pk if user.is_authenticated else None,
    )


def attachment_for(user: AnyUser, schema: LedgerSchema, attachment_id: int) -> Attachment:
    found = Attachment.objects.filter(id=attachment_id, ledger_id=schema.id).first()
    if found is None or found.field_code not in schema.by_code:
        raise NotFound()
    condition, params = access.record_predicate(user, schema)
    if condition:
        # Under record rules a file is theirs only through a record they may see (or their own
        # upload not saved yet). Values hold {"id": N, ...} as written by FileType.clean.
        column = schema.by_code[found.field_code].column
        sql = f"SELECT 1 FROM {q(schema.table)} t WHERE t.{q(column)} LIKE %s"
        pattern = f'%{{"id": {found.id},%'
        with connection.cursor() as cur:
            cur.execute(f"{sql} AND ({condition}) LIMIT 1", [pattern, *params])
            if cur.fetchone() is None:
                if found.created_by_id != user.pk:
                    raise NotFound()
                cur.execute(f"{sql} LIMIT 1", [pattern])
                if cur.fetchone() is not None:  # saved in a record they may not see
                    raise NotFound()
    return found
