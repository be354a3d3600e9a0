"""Shared argument checks for device modules (not itself a device module)."""

from qpysim._oserror import OSError  # noqa: A004 - the device's OSError


def need_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def need_number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    return value


def need_str(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


__all__ = ["OSError", "need_int", "need_number", "need_str"]
