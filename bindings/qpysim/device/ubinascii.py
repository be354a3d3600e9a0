"""ubinascii (binascii)."""

import binascii as _b


def hexlify(data, sep=None):
    if sep is None:
        return _b.hexlify(data)
    return _b.hexlify(data, sep)


def unhexlify(data):
    return _b.unhexlify(data)


def a2b_base64(data):
    return _b.a2b_base64(data)


def b2a_base64(data):
    return _b.b2a_base64(data)


def crc32(data, value=0):
    return _b.crc32(data, value)
