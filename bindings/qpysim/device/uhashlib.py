"""uhashlib (hashlib): update() and digest() only, as on the device."""

import hashlib as _hashlib


class _Hash:
    _name = ""

    def __init__(self, data=None):
        self._h = _hashlib.new(self._name)
        if data is not None:
            self.update(data)

    def update(self, data):
        self._h.update(data)

    def digest(self):
        return self._h.digest()


class sha256(_Hash):
    _name = "sha256"


class sha1(_Hash):
    _name = "sha1"


class md5(_Hash):
    _name = "md5"
