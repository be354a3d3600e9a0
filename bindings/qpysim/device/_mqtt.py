"""MQTT wire pieces that QuecPython's umqtt (ports/quectel/py/umqtt.py l.108-120)
and micropython-lib's umqtt.simple read and write the same way (not a device
module)."""

import struct

from ._common import advise_char_length


def send_str(device, sock, s, where):
    """A length-prefixed string in two writes; the length counts characters, as
    MicroPython's len() does, so non-ASCII text is noted (see advise_char_length)."""
    advise_char_length(device, where, s)
    sock.write(struct.pack("!H", len(s)))
    sock.write(s)


def recv_len(sock):
    """The remaining length, one byte at a time; a read past the end of the
    stream raises IndexError, as on the device."""
    n = 0
    shift = 0
    while True:
        b = sock.read(1)[0]
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n
        shift += 7
