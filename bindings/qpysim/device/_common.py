"""Shared argument checks for device modules (not itself a device module)."""

import sys

from qpysim._oserror import OSError  # noqa: A004 - the device's OSError


def need_int(value, what, word=True):
    """An int argument as the firmware takes it: a machine word (mp_obj_get_int on
    a 32-bit module raises OverflowError past it). word=False: any int (thread
    idents, which are the PC's under qpysim)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if word and not -0x80000000 <= value <= 0x7FFFFFFF:
        raise OverflowError(f"{what}: overflow converting long int to machine word")
    return value


def need_number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    return value


def need_str(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def advise(device, text):
    """Tell the developer, not the script, about a bug the module would hide:
    once per run and text, on the PC's stderr as `qpysim: note: ...`. What the
    script sees stays the firmware's."""
    seen = device.__dict__.setdefault("_advised", set())
    if text in seen:
        return
    seen.add(text)
    err = getattr(sys.stderr, "_target", sys.stderr)  # past --expect/--fail-text
    err.write("qpysim: note: %s\n" % text)
    err.flush()


def advise_char_length(device, where, s):
    """`where` sent str `s` with a length counted in characters, as the firmware
    does: with non-ASCII characters the bytes on the wire outnumber it."""
    if isinstance(s, str) and not s.isascii():
        shown = s if len(s) <= 40 else s[:37] + "..."
        advise(device, "%s: %r has non-ASCII characters: the firmware counts its length in "
                       "characters (%d), but sends its UTF-8 bytes (%d), so the peer misreads "
                       "what follows; pass bytes (.encode()) instead"
                       % (where, shown, len(s), len(s.encode())))


__all__ = ["OSError", "advise", "advise_char_length", "need_int", "need_number", "need_str"]
