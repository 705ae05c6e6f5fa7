"""The `daicho` command (contract §3): `entry.py` parses the arguments and runs a command,
`commands.py` holds the commands, `import_text.py` words an import's report for the terminal.
`run` is the console script's entry point (pyproject: `daicho = "daicho.cli:run"`)."""

from daicho.cli.entry import main, run

__all__ = ["main", "run"]
