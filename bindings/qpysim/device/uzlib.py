"""uzlib (zlib): decompression, as MicroPython has it."""

import zlib as _zlib


def decompress(data, wbits=0, bufsize=0):
    return _zlib.decompress(data, wbits or 15)


class DecompIO:
    def __init__(self, stream, wbits=0):
        self._d = _zlib.decompressobj(wbits or 15)
        self._stream = stream
        self._buf = b""

    def read(self, n=-1):
        while n < 0 or len(self._buf) < n:
            chunk = self._stream.read(256)
            if not chunk:
                self._buf += self._d.flush()
                break
            self._buf += self._d.decompress(chunk)
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out
