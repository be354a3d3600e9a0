"""Device.uart(n), Device.pin(n), Device.i2c(bus), Device.adc(ch), Device.pwm(n): the module's
lines as the PC sees them. Each kind lives in its own module (_uart, _pins, _i2c), loaded the
first time a script or a test reaches for one, so a run that uses none pays
nothing for them."""

from __future__ import annotations


def _numbered(kind: str, arg: str, value, lo: int, hi: int, name: str) -> None:
    """`value` must be a whole number lo..hi, the device's NAMElo..NAMEhi."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{kind}: {arg} must be {lo}..{hi} ({name}{lo}..{name}{hi}), "
                         f"not {value!r}")


class PeripheralsMixin:
    """The module's UARTs, GPIOs, I2C buses, ADC channels and PWM outputs, for
    tests and bridges."""

    def _line(self, kind: str, key: int, make):
        lines = self.__dict__.setdefault(kind, {})
        with self._import_lock:
            if key not in lines:
                lines[key] = make()
            return lines[key]

    def uart(self, port: int):
        """UART `port` (0..6) as the PC sees it: send(), take(), written, lost."""
        from ._uart import UartLine

        _numbered("uart", "port", port, 0, 6, "UART")

        def make():
            line = UartLine(self, port)
            line.script = self.modem.uart_peers().get(port)
            return line

        return self._line("_uart_lines", port, make)

    def bridge_uart(self, port: int, spec: str):
        """Bridge UART `port` to the PC as `spec` says: "tcp:PORT" (a listener on
        127.0.0.1, one client at a time), "stdio" or "pty"; .address says where."""
        from ._uart import open_bridge

        bridge = open_bridge(spec)
        bridge.attach(self, port)
        return bridge

    def pin(self, number: int):
        """GPIOn (1..47) as the PC sees it: .level, read and set."""
        from ._pins import GPIO_COUNT, PinLine

        _numbered("pin", "number", number, 1, GPIO_COUNT, "GPIO")
        return self._line("_pin_lines", number, lambda: PinLine(number, self))

    def i2c(self, bus: int):
        """I2C bus `bus` (0..3): attach(address, registers) puts a device on it."""
        from ._i2c import BUS_COUNT, I2cBus

        _numbered("i2c", "bus", bus, 0, BUS_COUNT - 1, "I2C")
        return self._line("_i2c_buses", bus, lambda: I2cBus(self, bus))

    def adc(self, channel: int):
        """ADC channel `channel` (0..3): .mv, the millivolts on it, read and set."""
        _numbered("adc", "channel", channel, 0, 3, "ADC")
        return self._line("_adc_lines", channel, lambda: AdcLine(self, channel))


    def pwm(self, n: int):
        """PWM output n (0..3) as the PC sees it: running, frequency, duty, changes."""
        _numbered("pwm", "n", n, 0, 3, "PWM")
        return self._line("_pwm_lines", n, lambda: PwmLine(self))


class PwmLine:
    """One PWM output: whether it runs, at what frequency (Hz) and duty (0..1),
    and `changes`: (device time in s, frequency, duty) each time the app started
    or stopped it (frequency 0 when stopped)."""

    def __init__(self, device):
        self._dev = device
        self.running = False
        self.frequency = 0.0
        self.duty = 0.0
        self.changes: list[tuple[float, float, float]] = []

    def started(self, frequency: float, duty: float) -> None:
        self.running, self.frequency, self.duty = True, frequency, duty
        self.changes.append((self._dev.modem.now(), frequency, duty))

    def stopped(self) -> None:
        self.running = False
        self.changes.append((self._dev.modem.now(), 0.0, self.duty))


class AdcLine:
    """One ADC input: what misc.ADC().read(channel) returns, in millivolts. An
    `adc` fault's voltage wins over what a test sets with .mv; nothing on the
    input reads 0 mV."""

    def __init__(self, device, channel: int):
        self._dev = device
        self.channel = channel
        self._set = 0

    @property
    def mv(self) -> int:
        held = self._dev.modem.adc_drive(self.channel)
        return self._set if held is None else held

    @mv.setter
    def mv(self, value) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5000:
            raise ValueError(f"adc: mv must be a whole number of millivolts, 0..5000, "
                             f"not {value!r}")
        self._set = value
