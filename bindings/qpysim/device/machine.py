"""machine (QuecPython's): UART, bridged to the PC (qpysim/_uart.py); Pin (qpysim/_pins.py);
Timer; WDT; RTC.

The firmware's UART (ports/quectel/machine_uart.c @93ac4925): UART(port,
baudrate, bits, parity, stop, flow), each checked as the firmware checks it;
write/writeOnce, read/readOnce/readline/readinto without waiting (what has
arrived), any(), set_callback(fn) called with (0, port, size) as bytes arrive,
close(). The PC reaches a UART with Device.uart(n) or `qpysim run --uart
N=tcp:PORT`.

Timer (machine_timer.c): Timer(Timer0..Timer3), start(period=ms, mode=,
callback=, tick_hz=, freq=) keyword-only, callback(timer) in the timer thread
(osTimer's), stop() 0 once started else -1. WDT (machine_wdt.c): WDT(period s),
feed(), stop(); a watchdog not fed for `period` seconds of device time restarts
the module, and misc.Power.powerOnReason() then says 5.

RTC (machine_rtc.c:64-123): datetime() is the module's local time as
(year, month, day, weekday, hour, minute, second, 0), the weekday as
utime.localtime counts it; datetime(8-tuple) sets the clock (the weekday and
the last item are ignored) and returns 0.

Pin (machine_pin.c:56-280): Pin(GPIOn, dir, pull, value) with the firmware's
defaults (OUT, PULL_DISABLE, 0) and checks; read()/value() the level, write(v)
0, value(v)/on()/off() None, set_dir(d) 0, get_dir(). An input reads what a
scenario's `pin` fault holds it at, else what the PC sets with
Device.pin(n).level; the PC sees what an output drives.

ExtInt (machine_extint.c:400-612): ExtInt(GPIOn, mode, pull, callback);
enable() watches the pin: each edge the PC (Device.pin(n).level) or a `pin`
fault makes that the mode asks for (IRQ_RISING 0, IRQ_FALLING 1,
IRQ_RISING_FALLING 2) is counted (read_count) and calls callback([GPIOn,
edge]) in the interrupt thread, edge 0 rising and 1 falling; disable() stops
it.

I2C (machine_iic.c:40-170): I2C(I2Cn, mode), both required; write(addr,
reg, reg_len, data, size) and read(addr, reg, reg_len, buf, size, delay) (its
keyword is `dalay`, as the firmware spells it) return 0, or -1 when no device
acknowledges. Devices (a register space, command answers) are what the
scenario's `i2c:` or a test's Device.i2c(bus).attach() put on the bus;
qpysim/_i2c.py says what they do.

The rest of machine (SPI, LCD, KeyPad...) is not emulated yet;
`--stub machine` gives those names inert stand-ins.
"""

from qpysim._absent import not_emulated_attribute as _not_emulated
from qpysim._pins import GPIO_COUNT as _GPIO_COUNT
from qpysim._result import REASON_WATCHDOG as _REASON_WATCHDOG
from qpysim._result import RunResult as _RunResult
from qpysim._runtime import current_device as _current_device
from qpysim._service import STOP as _STOP
from qpysim._service import DeviceService as _DeviceService

from ._common import advise as _advise
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
            self._line.opened()

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
        return self._line.any() if self._line is not None else 0

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


class Pin:
    IN, OUT = 0, 1  # machine_pin.c:79: "range{0:dir in, 1:dir out}"
    PULL_DISABLE, PULL_PU, PULL_PD = 0, 1, 2  # machine_pin.c:92

    def __init__(self, gpio, dir=-1, pull=-1, value=-1):  # noqa: A002 - the firmware's names
        _int(gpio, "GPIOn")
        if gpio <= 0 or gpio > _GPIO_COUNT:
            raise ValueError("invalid pin")
        self._line = _dev.pin(gpio)
        self._line.direction, self._line.pull = self.OUT, self.PULL_DISABLE
        self._line.output = 0
        self.init(dir, pull, value)

    def init(self, dir=-1, pull=-1, value=-1):  # noqa: A002
        for v, what in ((dir, "dir"), (pull, "pull"), (value, "value")):
            _int(v, what)
        if dir not in (-1, 0, 1):
            raise ValueError("invalid pin dir, range{0:dir in, 1:dir out}")
        if pull not in (-1, 0, 1, 2):
            raise ValueError("invalid pin pull, range{0:PIN_PULL_DISABLE, 1:PIN_PULL_PU, "
                             "2:PIN_PULL_PD}")
        if value not in (-1, 0, 1):
            raise ValueError("invalid pin value, range{0:PIN_LEVEL_LOW, 1:PIN_LEVEL_HIGH}")
        if dir != -1:
            self._line.direction = dir
        if pull != -1:
            self._line.pull = pull
        if value != -1:
            self._line.output = value

    def read(self):
        _charge()
        return self._line.read()

    def value(self, *level):
        if len(level) > 1:
            raise TypeError(f"value() takes at most 1 argument ({len(level)} given)")
        if not level:
            return self.read()
        _charge()
        self._line.output = 1 if level[0] else 0
        return None

    def write(self, value):
        _int(value, "value")
        _charge()
        self._line.output = 1 if value else 0
        return 0

    def on(self):
        self._line.output = 1

    def off(self):
        self._line.output = 0

    def set_dir(self, dir):  # noqa: A002
        _int(dir, "dir")
        if dir not in (0, 1):
            raise ValueError("Invalid direction parameter")
        self._line.direction = dir
        return 0

    def get_dir(self):
        return self._line.direction




class ExtInt:
    IRQ_RISING, IRQ_FALLING, IRQ_RISING_FALLING = 0, 1, 2
    PULL_DISABLE, PULL_PU, PULL_PD = 0, 1, 2

    def __init__(self, pin, mode, pull, callback, fast=0, filter_time=0):
        for v, what in ((pin, "pin"), (mode, "mode"), (pull, "pull"), (fast, "fast"),
                        (filter_time, "filter_time")):
            _int(v, what)
        if not 1 <= pin <= _GPIO_COUNT:
            raise ValueError("invalid pin value")
        if mode not in (0, 1, 2):
            raise ValueError("invalid mode value")
        if pull not in (0, 1, 2):
            raise ValueError("invalid pull value")
        self._line = _dev.pin(pin)
        self._line.direction, self._line.pull = Pin.IN, pull
        self._pin, self._mode, self._callback = pin, mode, callback
        self._counts = [0, 0]  # rising, falling
        self._enabled = False

    def _edge(self, old, new):
        edge = 0 if new > old else 1
        if not self._enabled or self._mode not in (edge, 2):
            return
        self._counts[edge] += 1
        if self._callback is not None:
            _interrupts.post(self._callback, [self._pin, edge])

    def enable(self):
        if not self._enabled:
            self._enabled = True
            self._line.read()  # the level edges are counted from
            self._line.watchers.append(self._edge)
            # A scenario's pin fault moves the line in the core: its edges come
            # as device events, and the module runs on while more are ahead.
            _dev.set_callback("pin", _pin_moved)
        return 0

    def disable(self):
        if self._enabled:
            self._enabled = False
            self._line.watchers.remove(self._edge)
        return 0

    def line(self):
        return self._pin

    def read_level(self):
        _charge()
        return self._line.read()

    def read_count(self, is_reset=0):
        _int(is_reset, "is_reset")
        if is_reset not in (0, 1):
            raise ValueError("invalid is_reset value, must in [0,1]")
        counts = list(self._counts)
        if is_reset:
            self._counts = [0, 0]
        return counts

    def count_reset(self):
        self._counts = [0, 0]
        return 0


class _Interrupts(_DeviceService):
    """The thread ExtInt callbacks run in, one at a time, as the firmware's."""

    def __init__(self):
        super().__init__(_dev, "extint")
        self.pending = []

    def post(self, fn, arg):
        self.pending.append((fn, arg))
        self.poke()

    def step(self):
        if not self.pending:
            return None
        fn, arg = self.pending.pop(0)
        try:
            fn(arg)
        except Exception as e:  # noqa: BLE001 - printed, as the firmware prints it
            import sys

            sys.stderr.write("Unhandled exception in ExtInt callback %r\n" % (fn,))
            _dev.module("usys").print_exception(e, sys.stderr)
        return 0


_interrupts = _Interrupts()


def _pin_moved(args):
    _dev.pin(args[0]).changed()


def _buffer(obj, writable=False):
    """mp_get_buffer_raise: bytes-like (and str, read-only), or TypeError."""
    if isinstance(obj, str) and not writable:
        return obj.encode()
    try:
        view = memoryview(obj)
    except TypeError:
        view = None
    if view is None or (writable and view.readonly):
        raise TypeError("object with buffer protocol required")
    return view.cast("B") if view.format != "B" else view


def _args(names, given, kwargs):
    """mp_arg_parse_all for required arguments, with its error texts."""
    if len(given) > len(names):
        raise TypeError("function takes %d positional arguments but %d were given"
                        % (len(names) + 1, len(given) + 1))
    values = dict(zip(names, given))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError("unexpected keyword argument '%s'" % key)
        values[key] = value
    for name in names:
        if name not in values:
            raise TypeError("'%s' argument required" % name)
    return [values[n] for n in names]


class I2C:
    I2C0, I2C1, I2C2, I2C3 = 0, 1, 2, 3  # HELIOS_I2C0..3
    STANDARD_MODE, FAST_MODE = 0, 1  # 100 kHz, 400 kHz

    def __init__(self, *args, **kwargs):
        bus, mode = _args(("id", "fastmode"), args, kwargs)
        _int(bus, "id")
        _int(mode, "fastmode")
        if not 0 <= bus <= 3:  # an unsigned compare in the firmware: negatives fail too
            raise ValueError("bus id must be (0~3)")
        self._id, self._fast = bus, mode == 1
        self._bus = _dev.i2c(bus)

    def __repr__(self):
        return "I2C%d" % self._id

    def write(self, *args, **kwargs):
        addr, reg, reg_len, data, size = _args(
            ("slaveaddr", "regaddr", "regaddr_len", "databuf", "datasize"), args, kwargs)
        for v, what in ((addr, "slaveaddr"), (reg_len, "regaddr_len"), (size, "datasize")):
            _int(v, what)
        reg, data = _buffer(reg), _buffer(data)
        # The firmware passes regaddr_len as given; qpysim sends no more than the buffer.
        reg = bytes(reg[:max(reg_len, 0)])
        data = bytes(data[:max(min(size, len(data)), 0)])
        _charge()
        return self._bus.write(addr & 0xFF, reg, data, self._fast)

    def read(self, *args, **kwargs):
        addr, reg, reg_len, buf, size, delay = _args(
            ("slaveaddr", "regaddr", "regaddr_len", "databuf", "datasize", "dalay"),
            args, kwargs)
        for v, what in ((addr, "slaveaddr"), (reg_len, "regaddr_len"), (size, "datasize"),
                        (delay, "dalay")):
            _int(v, what)
        reg, view = _buffer(reg), _buffer(buf, writable=True)
        reg = bytes(reg[:max(min(reg_len, len(reg)), 0)])
        size = max(min(size, len(view)), 0)
        _charge()
        status, data = self._bus.read(addr & 0xFF, reg, size, self._fast, delay)
        if status == 0:
            view[:size] = data
        return status


class Timer:
    Timer0, Timer1, Timer2, Timer3 = 0, 1, 2, 3
    PERIODIC = 1  # machine_timer.c:44-48: TIMER_PERIODIC
    ONE_SHOT = 2  # TIMER_AUTO_DELETE

    def __init__(self, timer_id=0, **kwargs):
        _int(timer_id, "Timern")
        if not 0 <= timer_id <= 3:
            raise ValueError("invalid value, Timern should be in (Timer0~Timer3).")
        self._id = timer_id
        self._os = None  # the timer underneath, once started
        self._running = False
        if kwargs:
            self.start(**kwargs)

    def start(self, *, mode=PERIODIC, callback=None, period=None, tick_hz=1000, freq=None):
        _int(mode, "mode")
        _int(tick_hz, "tick_hz")
        if freq is not None:
            if isinstance(freq, bool) or not isinstance(freq, (int, float)) or freq <= 0:
                raise ValueError("freq must be a number above 0")
            ms = int(1000 / freq)
        else:
            if period is None:  # the firmware's default: 0xFFFFFFFF ticks (49.7 days)
                _advise(_dev, "machine.Timer.start() without period= or freq= waits "
                              "0xFFFFFFFF ticks (49.7 days at 1000 Hz), as the firmware does")
                period = 0xFFFFFFFF
            _int(period, "period", word=False)
            if tick_hz <= 0:
                raise ZeroDivisionError("tick_hz must not be 0")
            ms = period * 1000 // tick_hz
        self._callback = callback
        if self._running:  # machine_timer.c:143-146: a running timer keeps its period
            return 0
        if self._os is None:
            self._os = _dev.module("osTimer")()
        # osTimer takes a machine word of ms: 24.8 days at most, where Helios takes
        # a uint32 (49.7 days); only the no-period default reaches past it.
        self._periodic = mode == self.PERIODIC
        self._os.start(min(ms, 0x7FFFFFFF), 1 if self._periodic else 0, self._fire)
        self._running = True
        return 0

    def _fire(self, _):
        if not self._periodic:  # a one-shot timer has run out
            self._running = False
        if self._callback is not None:
            self._callback(self)

    def stop(self):
        if self._os is None:
            return -1
        self._os.stop()
        self._running = False
        return 0

    def deinit(self):
        return self.stop()


class WDT:
    """The hardware watchdog: WDT(period) in seconds; feed() before it passes."""

    def __init__(self, period=0):
        _int(period, "period")
        if period <= 0:
            raise ValueError("WDT period must be at least 1 second")
        _watchdog.arm(period)

    def feed(self):
        _watchdog.feed()
        return 0

    def stop(self):
        _watchdog.disarm()
        return 0


class _Watchdog(_DeviceService):
    """One per module: a daemon thread that restarts the module when starved."""

    def __init__(self):
        super().__init__(_dev, "watchdog")
        self.period_ns = 0
        self.deadline_ns = None

    def arm(self, seconds):
        self.period_ns = seconds * 1_000_000_000
        self.feed()

    def feed(self):
        if self.period_ns:
            self.deadline_ns = _dev.modem.now_ns() + self.period_ns
            self.poke()

    def disarm(self):
        self.deadline_ns = None
        self._wake.release()  # a thread that is not running yet need not start

    def step(self):
        deadline = self.deadline_ns
        if deadline is None:
            return None
        left = deadline - _dev.modem.now_ns()
        if left <= 0:
            _dev.stop(_RunResult(0, _REASON_WATCHDOG))
            return _STOP
        return left / 1e9


_watchdog = _Watchdog()


class RTC:
    def datetime(self, value=None):
        utime = _dev.module("utime")
        if value is None:
            t = utime.localtime()
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"datetime() takes an 8-tuple, not {type(value).__name__}")
        if len(value) != 8:
            raise ValueError(f"requested length 8 but object has length {len(value)}")
        year, month, day, _, hour, minute, second, _ = (_int(v, "datetime item") for v in value)
        import calendar

        local = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
        _dev.modem.set_rtc(local - utime.getTimeZone() * 3600)
        return 0


# Pin, UART and ExtInt carry the GPIOn numbers (machine_pin.c:303,
# machine_uart.c:381, machine_extint.c:637): UART's are for control_485.
for _n in range(1, _GPIO_COUNT + 1):
    setattr(Pin, f"GPIO{_n}", _n)
    setattr(UART, f"GPIO{_n}", _n)
    setattr(ExtInt, f"GPIO{_n}", _n)
del _n


def __getattr__(name):
    """machine's names qpysim does not emulate yet (I2C, SPI, LCD...)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _not_emulated(_dev, "machine", name)
