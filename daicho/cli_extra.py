"""Subcommands added by later features (import, export, …) register their arguments here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def register(sub: Any, add: Callable[..., Any]) -> None:
    """Hook for feature modules; kept separate so cli.py stays small."""
