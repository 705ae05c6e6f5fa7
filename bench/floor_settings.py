"""Django settings for bench_floor.py's "first minute" phase: daicho's own settings, with the
background job that builds a (filter, sort) pair index never asked for, so the server keeps
answering as it does before that job has run. Nothing else differs."""

from daicho.settings import *  # noqa: F403
from daicho.settings import DAICHO as _DAICHO

DAICHO = {**_DAICHO, "PAIR_INDEX_MIN_RECORDS": 10**12}
