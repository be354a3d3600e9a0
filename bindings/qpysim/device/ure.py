"""ure (re)."""

from re import DEBUG, compile, match, search, split, sub  # noqa: F401
