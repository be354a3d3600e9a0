"""ure (re)."""
from re import DEBUG as DEBUG, compile as compile, match as match, search as search, split as split, sub as sub
