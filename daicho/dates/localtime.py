"""The one local time zone. Cities keep office hours and dates in Japan time; Django's
settings.TIME_ZONE is this zone's name. Without Django, so importing/ and exporting/ use it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
