"""ubinascii (binascii). Like MicroPython's, every function takes a str too (its
UTF-8 bytes), as it takes any object with the buffer protocol."""

import binascii as _b


def _buf(data):
    return data.encode() if isinstance(data, str) else data


def hexlify(data, sep=None):
    if sep is None:
        return _b.hexlify(_buf(data))
    return _b.hexlify(_buf(data), sep)


def unhexlify(data):
    return _b.unhexlify(data)


def a2b_base64(data):
    return _b.a2b_base64(data)


def b2a_base64(data):
    return _b.b2a_base64(_buf(data))


def crc32(data, value=0):
    return _b.crc32(_buf(data), value)
