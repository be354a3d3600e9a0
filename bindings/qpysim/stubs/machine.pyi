"""machine: QuecPython's UART (bridged to the PC), Pin, ExtInt, I2C, Timer, WDT and RTC; the rest is not emulated yet."""
from typing import Any, Callable, Optional, Tuple, Union

class _GPIOs:
    """GPIO1..GPIO47: Pin, UART (for control_485) and ExtInt carry the numbers."""
    GPIO1: int
    GPIO2: int
    GPIO3: int
    GPIO4: int
    GPIO5: int
    GPIO6: int
    GPIO7: int
    GPIO8: int
    GPIO9: int
    GPIO10: int
    GPIO11: int
    GPIO12: int
    GPIO13: int
    GPIO14: int
    GPIO15: int
    GPIO16: int
    GPIO17: int
    GPIO18: int
    GPIO19: int
    GPIO20: int
    GPIO21: int
    GPIO22: int
    GPIO23: int
    GPIO24: int
    GPIO25: int
    GPIO26: int
    GPIO27: int
    GPIO28: int
    GPIO29: int
    GPIO30: int
    GPIO31: int
    GPIO32: int
    GPIO33: int
    GPIO34: int
    GPIO35: int
    GPIO36: int
    GPIO37: int
    GPIO38: int
    GPIO39: int
    GPIO40: int
    GPIO41: int
    GPIO42: int
    GPIO43: int
    GPIO44: int
    GPIO45: int
    GPIO46: int
    GPIO47: int

class UART(_GPIOs):
    UART0: int
    UART1: int
    UART2: int
    UART3: int
    UART4: int
    REPL_UART: int
    def __init__(self, port: int, baudrate: int, bits: int, parity: int, stop: int,
                 flow: int) -> None: ...
    def init(self, baudrate: int, bits: int, parity: int, stop: int, flow: int) -> None: ...
    def write(self, data: Union[bytes, str], *size: int) -> int: ...
    def writeOnce(self, data: Union[bytes, str], *size: int) -> int: ...
    def read(self, size: int = ...) -> bytes: ...
    def readOnce(self, size: int = ...) -> bytes: ...
    def readline(self) -> bytes: ...
    def readinto(self, buf: Any, nbytes: Optional[int] = ...) -> int: ...
    def any(self) -> int: ...
    def set_callback(self, fn: Optional[Callable[[Tuple[int, int, int]], Any]]) -> int: ...
    def close(self) -> int: ...
    def control_485(self, gpio: int, direction: int) -> int: ...

class I2C:
    """I2C(I2Cn, mode); transfers return 0, or -1 when no device acknowledges."""
    I2C0: int
    I2C1: int
    I2C2: int
    I2C3: int
    STANDARD_MODE: int
    FAST_MODE: int
    def __init__(self, id: int, fastmode: int) -> None: ...
    def write(self, slaveaddr: int, regaddr: Any, regaddr_len: int, databuf: Any,
              datasize: int) -> int: ...
    def read(self, slaveaddr: int, regaddr: Any, regaddr_len: int, databuf: Any, datasize: int,
             dalay: int) -> int: ...

class Timer:
    Timer0: int
    Timer1: int
    Timer2: int
    Timer3: int
    PERIODIC: int
    ONE_SHOT: int
    def __init__(self, timer_id: int = ..., **kwargs: Any) -> None: ...
    def start(self, *, mode: int = ..., callback: Optional[Callable[["Timer"], Any]] = ...,
              period: Optional[int] = ..., tick_hz: int = ...,
              freq: Optional[float] = ...) -> int: ...
    def stop(self) -> int: ...
    def deinit(self) -> int: ...

class WDT:
    def __init__(self, period: int) -> None: ...
    def feed(self) -> int: ...
    def stop(self) -> int: ...

class RTC:
    def datetime(self, value: Optional[Tuple[int, int, int, int, int, int, int, int]] = ...
                 ) -> Union[Tuple[int, int, int, int, int, int, int, int], int]: ...

class Pin(_GPIOs):
    IN: int
    OUT: int
    PULL_DISABLE: int
    PULL_PU: int
    PULL_PD: int
    def __init__(self, gpio: int, dir: int = ..., pull: int = ..., value: int = ...) -> None: ...
    def init(self, dir: int = ..., pull: int = ..., value: int = ...) -> None: ...
    def read(self) -> int: ...
    def value(self, *level: int) -> Optional[int]: ...
    def write(self, value: int) -> int: ...
    def on(self) -> None: ...
    def off(self) -> None: ...
    def set_dir(self, dir: int) -> int: ...
    def get_dir(self) -> int: ...

class ExtInt(_GPIOs):
    IRQ_RISING: int
    IRQ_FALLING: int
    IRQ_RISING_FALLING: int
    PULL_DISABLE: int
    PULL_PU: int
    PULL_PD: int
    def __init__(self, pin: int, mode: int, pull: int, callback: Optional[Callable[[list], Any]],
                 fast: int = ..., filter_time: int = ...) -> None: ...
    def enable(self) -> int: ...
    def disable(self) -> int: ...
    def line(self) -> int: ...
    def read_level(self) -> int: ...
    def read_count(self, is_reset: int = ...) -> list: ...
    def count_reset(self) -> int: ...
