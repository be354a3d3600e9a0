"""ntptime: set the RTC from an NTP server. QuecPython: settime(timezone=0),
sethost(); MicroPython ports: settime(), timeout."""
from typing import List, Optional

host: str
r_host: List[str]
timeout: int
NTP_DELTA: int

def sethost(ntp_host: Optional[str] = ...) -> int: ...
def time() -> int: ...
def settime(timezone: int = ...) -> int: ...
