"""The module's I2C buses as the PC sees them: Device.i2c(bus).

A device on a bus is a register map at a 7-bit address, the shape most sensors
and EEPROMs have: a write sends a register address and data, a read sends a
register address and then reads. Here a write stores its data as the
register's contents (what is written reads back) and moves the device's
register pointer there; a read with a register address reads that register,
and one without reads where the pointer is (how a command sensor such as an
SHT3x answers the command written before it). A read longer than the contents
gets 0xFF for the rest, as an idle bus reads; an address with no device, or
one an `i2c_nack` fault silences, does not acknowledge, and the app's call
returns -1.

A transfer takes its bits' time on the bus in device time (9 clocks a byte,
address byte included, at 100 kHz, or 400 kHz in FAST_MODE), plus the read's
`delay` in milliseconds. What qpysim cannot tell the app: clock stretching,
arbitration, 10-bit addresses, and anything a real chip computes (a register
holds what the scenario, a test or the app last put there).

A scenario puts devices on buses with `i2c:` (scenarios/README.md); a test
with Device.i2c(bus).attach(address, registers).
"""

from __future__ import annotations

import threading

BUS_COUNT = 4  # I2C0..I2C3 (machine_iic.c:63: "bus id must be (0~3)")


class I2cDevice:
    """A register-map device on a bus: `registers` (register address bytes ->
    contents bytes) a test may change at any time; `writes` lists what the app
    wrote, as (register, data) pairs."""

    def __init__(self, address: int, registers=None):
        self.address = address
        self.registers = {bytes(k): bytes(v) for k, v in (registers or {}).items()}
        self.writes: list[tuple[bytes, bytes]] = []
        self.pointer = b""  # the register a read without an address reads

    def __repr__(self):
        return f"<I2C device 0x{self.address:02x}, {len(self.registers)} registers>"


class I2cBus:
    """One I2C bus of one module: the devices on it."""

    def __init__(self, device, bus: int):
        self._dev = device
        self.bus = bus
        self._lock = threading.Lock()
        self.devices: dict[int, I2cDevice] = {}
        for address, registers in device.modem.i2c_devices().get(bus, {}).items():
            self.devices[address] = I2cDevice(address, registers)

    def attach(self, address: int, registers=None) -> I2cDevice:
        """Put a register-map device at a 7-bit address (replacing one there)."""
        if isinstance(address, bool) or not isinstance(address, int) or \
                not 0 <= address <= 127:
            raise ValueError(f"i2c: address must be a 7-bit address, 0..127, not {address!r}")
        device = I2cDevice(address, registers)
        with self._lock:
            self.devices[address] = device
        return device

    def detach(self, address: int) -> None:
        """Take the device off the bus: the app's transfers to it fail (-1)."""
        with self._lock:
            self.devices.pop(address, None)

    def device(self, address: int) -> I2cDevice:
        with self._lock:
            found = self.devices.get(address)
        if found is None:
            raise KeyError(f"i2c: no device at 0x{address:02x} on I2C{self.bus} "
                           f"(there: {[hex(a) for a in sorted(self.devices)] or 'none'})")
        return found

    # ---------------------------------------------------------------- the module's side

    def _wire(self, nbytes: int, fast: bool, delay_ms: int = 0) -> None:
        clock = 400_000 if fast else 100_000
        seconds = nbytes * 9 / clock + max(delay_ms, 0) / 1000
        self._dev.modem.sleep(seconds)

    def _answering(self, address: int):
        if self._dev.modem.i2c_silent(self.bus, address):
            return None
        with self._lock:
            return self.devices.get(address)

    def write(self, address: int, register: bytes, data: bytes, fast: bool) -> int:
        found = self._answering(address)
        self._wire(1 + len(register) + len(data), fast)
        if found is None:
            return -1
        with self._lock:
            found.writes.append((register, data))
            found.pointer = register
            if data:
                found.registers[register] = data
        return 0

    def read(self, address: int, register: bytes, size: int, fast: bool, delay_ms: int):
        """(0, the bytes read) or (-1, None)."""
        found = self._answering(address)
        self._wire(2 + len(register) + size if register else 1 + size, fast, delay_ms)
        if found is None:
            return -1, None
        with self._lock:
            if register:
                found.pointer = register
            value = found.registers.get(found.pointer, b"")
        return 0, value[:size] + b"\xff" * (size - len(value[:size]))
