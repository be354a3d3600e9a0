"""ujson (json): the firmware's JSON, which is not CPython's.

From MicroPython @93ac4925 as QuecPython builds it (float impl double,
ports/quectel/mpconfigport.h:51):

- dumps(obj, separators=None) / dump(obj, stream, separators=None)
  (extmod/modjson.c:44-89) print obj the way the interpreter prints it for JSON.
  A str goes out as its UTF-8 characters, non-ASCII included: only `"` and `\\`
  are escaped, `\\n`, `\\r`, `\\t` by name and other control characters as
  `\\u00xx` (py/objstr.c:133-155). bytes print as a str does. Keys that are not
  str or bytes are quoted (py/objdict.c:97). Floats print as `%.16g`, with `.0`
  added to a whole number and `inf`/`nan` as they are (py/objfloat.c). Anything
  else prints its repr rather than raising.
- loads(str or buffer) / load(stream): malformed text raises
  ValueError('syntax error in JSON') (extmod/modjson.c:356).
"""

import json as _json

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _str(s):
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _float(v):
    text = "%.16g" % v
    if "." not in text and "e" not in text and "n" not in text:
        text += ".0"
    return text


def _print(obj, item_sep, key_sep, out):
    if obj is None:
        out.append("null")
    elif obj is True or obj is False:
        out.append("true" if obj else "false")
    elif isinstance(obj, str):
        out.append(_str(obj))
    elif isinstance(obj, bytes):
        out.append(_str(obj.decode("utf-8", "surrogateescape")))
    elif isinstance(obj, int):
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        out.append(_float(obj))
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(item_sep)
            _print(item, item_sep, key_sep, out)
        out.append("]")
    elif isinstance(obj, dict):
        out.append("{")
        for i, (key, value) in enumerate(obj.items()):
            if i:
                out.append(item_sep)
            if isinstance(key, (str, bytes)):
                _print(key, item_sep, key_sep, out)
            else:
                out.append('"')
                _print(key, item_sep, key_sep, out)
                out.append('"')
            out.append(key_sep)
            _print(value, item_sep, key_sep, out)
        out.append("}")
    else:
        out.append(repr(obj))


def _separators(separators):
    if separators is None:
        return ", ", ": "
    try:
        item_sep, key_sep = separators
    except (TypeError, ValueError):
        raise ValueError("requested length 2 but object has length %d"
                         % len(separators) if hasattr(separators, "__len__")
                         else "object not iterable") from None
    if not isinstance(item_sep, str) or not isinstance(key_sep, str):
        raise TypeError("can't convert to str implicitly")
    return item_sep, key_sep


def dumps(obj, *, separators=None):
    out = []
    _print(obj, *_separators(separators), out)
    return "".join(out)


def dump(obj, stream, *, separators=None):
    stream.write(dumps(obj, separators=separators))


def loads(s):
    if isinstance(s, (bytes, bytearray, memoryview)):
        s = bytes(s).decode("utf-8", "surrogateescape")
    elif not isinstance(s, str):
        raise TypeError("object with buffer protocol required")
    try:
        return _json.loads(s)
    except ValueError:
        raise ValueError("syntax error in JSON") from None


def load(stream):
    return loads(stream.read())
