"""Device.uart(n), Device.pin(n), Device.i2c(bus): the module's lines as the PC
sees them. Each kind lives in its own module (_uart, _pins, _i2c), loaded the
first time a script or a test reaches for one, so a run that uses none pays
nothing for them."""

from __future__ import annotations


class PeripheralsMixin:
    """The module's UARTs, GPIOs and I2C buses, for tests and bridges."""

    def _line(self, kind: str, key: int, make):
        lines = self.__dict__.setdefault(kind, {})
        with self._import_lock:
            if key not in lines:
                lines[key] = make()
            return lines[key]

    def uart(self, port: int):
        """UART `port` (0..6) as the PC sees it: send(), take(), written, lost."""
        from ._uart import UartLine

        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 6:
            raise ValueError(f"uart: port must be 0..6 (UART0..UART6), not {port!r}")

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

        if isinstance(number, bool) or not isinstance(number, int) or \
                not 1 <= number <= GPIO_COUNT:
            raise ValueError(f"pin: number must be 1..{GPIO_COUNT} (GPIO1..GPIO{GPIO_COUNT}), "
                             f"not {number!r}")
        return self._line("_pin_lines", number, lambda: PinLine(number, self))

    def i2c(self, bus: int):
        """I2C bus `bus` (0..3): attach(address, registers) puts a device on it."""
        from ._i2c import BUS_COUNT, I2cBus

        if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < BUS_COUNT:
            raise ValueError(f"i2c: bus must be 0..{BUS_COUNT - 1} (I2C0..I2C{BUS_COUNT - 1}), "
                             f"not {bus!r}")
        return self._line("_i2c_buses", bus, lambda: I2cBus(self, bus))
