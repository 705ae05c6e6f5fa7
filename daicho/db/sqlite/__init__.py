"""daicho's SQLite backend: Django's, plus the process's lock keeper (see `keeper`)."""
