"""The one error of the formula language: where (0-based character offset) and why."""

from __future__ import annotations


class FormulaError(Exception):
    def __init__(self, position: int, message: str) -> None:
        self.position = position
        self.message = message
        super().__init__(f"{position}: {message}")
