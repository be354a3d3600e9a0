"""ntptime: set the module's clock from an NTP server, over the device's UDP.

QuecPython (ports/quectel/py/ntptime.py, QuecPython/micropython@93ac4925):
- host = "ntp.aliyun.com"; sethost(host) -> 0, or -1 for None (l.28-37).
- time(): one UDP socket; a 48-byte query (first byte 0x1B, version 3); up to four
  tries, each a lookup of `host`, a 10 s timeout, sendto and recv(48); after a
  failed try `host` becomes the next of pool.ntp.org, asia.pool.ntp.org,
  cn.ntp.org.cn (and stays so). None answering: OSError('Server connection
  failed!'). Returns seconds since 2000-01-01 (l.40-63).
- settime(timezone=0): -1 for a zone outside -12..12; 0 once the RTC is set to
  the server's time in that zone; -1 if setting it fails. An error of time()
  propagates (l.68-80). The firmware hands utime.localtime(t - 8 h + zone) to
  machine.RTC().datetime(); qpysim sets the module's RTC so that
  utime.localtime() then reads the server's time in that zone [inferred: the
  RTC's datetime() is local time in the module's time zone, +8 by default].

MicroPython (micropython-lib micropython/net/ntptime/ntptime.py), on the other
dialects: host = "pool.ntp.org", timeout = 1 (s); time() sends one query
(first byte 0x23, version 4) and returns seconds since 1970 (the port's epoch),
with timestamps before 2024 read as after 2036; settime() sets the RTC to UTC.
A virtual host with `123/udp: ntp` answers either.
"""

from qpysim._runtime import current_device as _current_device

from ._common import OSError as _OSError

_dev = _current_device()
_socket = _dev.module("usocket")
_struct = _dev.module("ustruct")
_QUECTEL = _dev.dialect.quectel_modules

# Seconds from 1900-01-01 to 2000-01-01 and to 1970-01-01.
NTP_DELTA = 3155673600 if _QUECTEL else 2208988800
_UNIX_2000 = 946684800

if _QUECTEL:
    host = "ntp.aliyun.com"
    r_host = ["pool.ntp.org", "asia.pool.ntp.org", "cn.ntp.org.cn", "cn.pool.ntp.org"]

    def sethost(ntp_host=None):
        global host
        if ntp_host is None:
            return -1
        host = ntp_host
        return 0

    def time():
        global host
        query = bytearray(48)
        query[0] = 0x1B
        value = None
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        for fallback in r_host:
            try:
                addr = _socket.getaddrinfo(host, 123)[0][-1]
                s.settimeout(10)
                s.sendto(query, addr)
                msg = s.recv(48)
                value = _struct.unpack("!I", msg[40:44])[0]
                break
            except Exception:  # noqa: BLE001 - the firmware moves on to the next host
                host = fallback
        s.close()
        if value is None:
            raise _OSError("Server connection failed!")
        return value - NTP_DELTA

    def settime(timezone=0):
        if timezone < -12 or timezone > 12:
            return -1
        t = time()
        try:
            utc = t + _UNIX_2000
            utime = _dev.module("utime")
            # The RTC reads, in the module's zone, the server's time in `timezone`.
            _dev.modem.set_rtc(utc + (timezone - utime.getTimeZone()) * 3600)
        except Exception:  # noqa: BLE001
            return -1
        return 0

else:
    host = "pool.ntp.org"
    timeout = 1
    _MIN_NTP_TIMESTAMP = 3913056000  # 2024-01-01

    def time():
        query = bytearray(48)
        query[0] = 0x23
        addr = _socket.getaddrinfo(host, 123)[0][-1]
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.sendto(query, addr)
            msg = s.recv(48)
        finally:
            s.close()
        value = _struct.unpack("!I", msg[40:44])[0]
        if value < _MIN_NTP_TIMESTAMP:
            value += 0x100000000  # the era after 2036-02-07
        return value - NTP_DELTA

    def settime():
        _dev.modem.set_rtc(time())
