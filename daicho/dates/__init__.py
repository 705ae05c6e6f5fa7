"""Dates as a Japanese city office keeps them, without Django (so importing/ and exporting/ use
them too): the one local time zone (`localtime.py`, Asia/Tokyo; settings.TIME_ZONE is its name),
和暦 and 年度 (`wareki.py`: eras, reading and writing era dates, the fiscal year April–March)."""
