"""ucollections (collections)."""

from collections import OrderedDict, deque, namedtuple  # noqa: F401
