"""ujson (json)."""

import json as _json


def dumps(obj):
    return _json.dumps(obj)


def dump(obj, stream):
    stream.write(dumps(obj))


def loads(s):
    if isinstance(s, (bytes, bytearray)):
        s = bytes(s).decode()
    return _json.loads(s)


def load(stream):
    return loads(stream.read())
