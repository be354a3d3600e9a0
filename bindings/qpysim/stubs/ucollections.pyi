"""ucollections (collections)."""
from collections import OrderedDict as OrderedDict, deque as deque, namedtuple as namedtuple
