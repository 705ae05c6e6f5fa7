"""Backup, restore and integrity check of a whole daicho installation (`daicho backup`,
`daicho restore`, `daicho check`)."""

from daicho.maintenance.backups import backup, restore
from daicho.maintenance.integrity import check

__all__ = ["backup", "check", "restore"]
