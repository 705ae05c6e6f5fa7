"""daicho (台帳): an open ledger platform for Japanese local governments."""

__version__ = "0.1.0"
