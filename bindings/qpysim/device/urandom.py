"""urandom (random): drawn from the run's seed, so a run repeats exactly."""

import random as _random

from qpysim._runtime import current_device as _current_device

from ._common import need_int as _need_int

_dev = _current_device()
_rng = _random.Random(_dev.modem.seed * 1000003 + 17)


def seed(n=None):
    _rng.seed(n)


def getrandbits(n):
    if not 0 < n <= 32:
        raise ValueError("bits must be 1..32")
    return _rng.getrandbits(n)


def getrandbytes(n):
    if _need_int(n, "n") < 0:
        raise ValueError("n must be >= 0")
    return bytes(_rng.getrandbits(8) for _ in range(n))


def randrange(start, stop=None, step=1):
    return _rng.randrange(start, stop, step)


def randint(a, b):
    return _rng.randint(a, b)


def choice(seq):
    return _rng.choice(seq)


def random():
    return _rng.random()


def uniform(a, b):
    return _rng.uniform(a, b)
