"""machine (QuecPython's): UART, bridged to the PC (qpysim/_uart.py).

The firmware's UART (ports/quectel/machine_uart.c @93ac4925): UART(port,
baudrate, bits, parity, stop, flow), each checked as the firmware checks it;
write/writeOnce, read/readOnce/readline/readinto without waiting (what has
arrived), any(), set_callback(fn) called with (0, port, size) as bytes arrive,
close(). The PC reaches a UART with Device.uart(n) or `qpysim run --uart
N=tcp:PORT`. The rest of machine (Pin, ExtInt, Timer, WDT, RTC, I2C, SPI...)
is not emulated yet; `--stub machine` gives those names inert stand-ins.
"""

from qpysim._absent import not_emulated_attribute as _not_emulated
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int

_dev = _current_device()
_charge = _dev.modem.ticks_ns  # a call into the firmware costs device time

# machine_uart.c:49-230: the baud rates Helios accepts; parity 0 none, 1 even,
# 2 odd; stop 1 or 2; flow 0 or 1; data bits 5-8, only 8 on Unisoc.
_BAUDS = frozenset({300, 600, 1200, 2400, 3600, 4800, 7200, 9600, 14400, 19200, 28800, 33600,
                    38400, 57600, 115200, 230400, 460800, 921600, 1000000, 1842000, 3686400,
                    4468750})
_PARITY_NAMES = ("None", "1", "0")  # machine_uart.c:46, as the firmware prints them
_UNISOC = _dev.profile.platform.startswith("Unisoc")


class UART:
    # helios_uart.h: HELIOS_UART0 = 0 ... HELIOS_UART6; REPL_UART is UART3 on
    # the Unisoc, ASR and Qualcomm modules (mphalport.h).
    UART0, UART1, UART2, UART3, UART4 = 0, 1, 2, 3, 4
    REPL_UART = 3

    def __init__(self, port, baudrate=0, bits=0, parity=-1, stop=-1, flow=-1):
        _int(port, "port")
        if not 0 <= port <= 7:  # machine_uart.c:204: uart_num > HELIOS_UARTMAX raises
            raise ValueError(f"UART({port}) does not exist")
        self._port = port
        self.init(baudrate, bits, parity, stop, flow)

    def init(self, baudrate=0, bits=0, parity=-1, stop=-1, flow=-1):
        for value, what in ((baudrate, "baudrate"), (bits, "bits"), (parity, "parity"),
                            (stop, "stop"), (flow, "flow")):
            _int(value, what)
        if baudrate not in _BAUDS:
            raise ValueError("invalid baudrate")
        if _UNISOC and bits != 8:
            raise ValueError("invalid data bits, Unisoc platform only support 8 data bit.")
        if bits not in (5, 6, 7, 8):
            raise ValueError("invalid data bits")
        if parity not in (0, 1, 2):
            raise ValueError("invalid parity bits")
        if stop not in (1, 2):
            raise ValueError("invalid stop bits")
        if flow not in (0, 1):
            raise ValueError("invalid flow bits")
        self._config = (baudrate, bits, parity, stop, flow)
        self._line = _dev.uart(self._port) if self._port <= 6 else None
        if self._line is not None:
            self._line.baud = baudrate

    def __repr__(self):
        baud, bits, parity, stop, flow = self._config
        return (f"UART({self._port}, baudrate={baud}, bits={bits}, "
                f"parity={_PARITY_NAMES[parity]}, stop={stop}, flow={flow})")

    def _need_line(self):
        if self._line is None:
            raise OSError(11)  # Helios has no such UART: the stream call fails (EAGAIN)
        return self._line

    def write(self, data, *size):
        if isinstance(data, str):
            data = data.encode()
        data = bytes(memoryview(data))
        if size:
            data = data[:_int(size[0], "size")]
        _charge()
        return self._need_line().write(data)

    writeOnce = write

    def read(self, size=-1):
        _int(size, "size")
        _charge()
        return self._need_line().read(size)

    readOnce = read

    def readline(self):
        _charge()
        return self._need_line().readline()

    def readinto(self, buf, nbytes=None):
        view = memoryview(buf).cast("B")
        n = len(view) if nbytes is None else min(_int(nbytes, "nbytes"), len(view))
        data = self.read(n)
        view[:len(data)] = data
        return len(data)

    def any(self):
        _charge()
        return self._need_line().any() if self._line is not None else 0

    def set_callback(self, fn):
        if fn is not None and not callable(fn):
            raise TypeError(f"callback must be callable, not {type(fn).__name__}")
        self._need_line().callback = fn
        return 0

    def close(self):
        if self._line is not None:
            self._line.callback = None
        return 0

    def control_485(self, gpio, direction):
        _int(gpio, "gpio")
        _int(direction, "direction")
        return 0


def __getattr__(name):
    """machine's names qpysim does not emulate yet (Pin, Timer, WDT...)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _not_emulated(_dev, "machine", name)
