"""`python -m daicho.cli`: the same as the `daicho` command."""

from daicho.cli.entry import run

run()
