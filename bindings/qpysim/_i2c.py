"""The module's I2C buses as the PC sees them: Device.i2c(bus).

A device on a bus has a register space and, for command sensors, answers:

- Registers: a write sends a register address and data; the data lands at that
  address and the ones after it (auto-increment), and a read from an address
  gets the bytes from there on. A register address is its bytes read as a
  big-endian number (one byte for most chips, two for larger EEPROMs). A read
  or write without a register address goes on from where the last one ended,
  as an EEPROM's "current address read" does. Registers nobody set read 0x00.
  This serves sensors with register maps (BMP280: a mode written to 0xF4 reads
  back, calibration read word by word from 0x88), and EEPROMs.
- Answers: a command sensor (SHT3x, AHT10) takes a command as a write, and the
  next read without a register address gets the measurement. A write whose
  register bytes (with or without its data) are a command the device answers
  leaves the registers alone and makes the next such reads return the answer,
  padded with 0xFF (the sensor stops driving the bus).

An address with no device, or one an `i2c_nack` fault silences, does not
acknowledge, and the app's call returns -1. A transfer takes its bits' time on
the bus in device time (9 clocks a byte, address byte included, at 100 kHz, or
400 kHz in FAST_MODE), plus the read's `delay` in milliseconds. What qpysim
cannot tell the app: clock stretching, arbitration, 10-bit addresses, and
anything a real chip computes (a register holds what the scenario, a test or
the app last put there; checksums are the scenario's to get right).

A scenario puts devices on buses with `i2c:` (scenarios/README.md); a test
with Device.i2c(bus).attach(address, registers, answers).
"""

from __future__ import annotations

import threading

BUS_COUNT = 4  # I2C0..I2C3 (machine_iic.c:63: "bus id must be (0~3)")


def _address(register: bytes) -> int:
    return int.from_bytes(register, "big")


class I2cDevice:
    """A device on a bus. `registers` maps a register address (int) to the
    byte there; set(address, data) and get(address, n) fill and read runs of
    them. `answers` maps a command (bytes) to what a read without a register
    address returns after it. `writes` lists what the app wrote, as
    (register bytes, data) pairs. A test may change any of them while the app
    runs."""

    def __init__(self, address: int, registers=None, answers=None):
        self.address = address
        self.registers: dict[int, int] = {}
        for start, data in (registers or {}).items():
            self.set(start if isinstance(start, int) else _address(bytes(start)), bytes(data))
        self.answers = {bytes(k): bytes(v) for k, v in (answers or {}).items()}
        self.writes: list[tuple[bytes, bytes]] = []
        self.pointer = 0  # where a transfer without a register address goes on
        self.answer: bytes | None = None  # a command's answer, for the next plain read

    def set(self, address: int, data: bytes) -> None:
        for i, byte in enumerate(bytes(data)):
            self.registers[address + i] = byte

    def get(self, address: int, n: int) -> bytes:
        return bytes(self.registers.get(address + i, 0) for i in range(n))

    def __repr__(self):
        return (f"<I2C device 0x{self.address:02x}: {len(self.registers)} registers set, "
                f"{len(self.answers)} answers>")

    # The module's side (the bus holds its lock around these).

    def written(self, register: bytes, data: bytes) -> None:
        self.writes.append((register, data))
        for command in (register + data, register):
            if command and command in self.answers:
                self.answer = self.answers[command]
                return
        self.answer = None
        start = _address(register) if register else self.pointer
        self.set(start, data)
        self.pointer = start + len(data)

    def read(self, register: bytes, size: int) -> bytes:
        if not register and self.answer is not None:
            return self.answer[:size] + b"\xff" * (size - len(self.answer[:size]))
        self.answer = None
        start = _address(register) if register else self.pointer
        self.pointer = start + size
        return self.get(start, size)


class I2cBus:
    """One I2C bus of one module: the devices on it."""

    def __init__(self, device, bus: int):
        self._dev = device
        self.bus = bus
        self._lock = threading.Lock()
        self.devices: dict[int, I2cDevice] = {}
        for address, (registers, answers) in device.modem.i2c_devices().get(bus, {}).items():
            self.devices[address] = I2cDevice(address, registers, answers)

    def attach(self, address: int, registers=None, answers=None) -> I2cDevice:
        """Put a device at a 7-bit address (replacing one there): registers
        {address: bytes from there on}, answers {command bytes: answer}."""
        if isinstance(address, bool) or not isinstance(address, int) or \
                not 0 <= address <= 127:
            raise ValueError(f"i2c: address must be a 7-bit address, 0..127, not {address!r}")
        device = I2cDevice(address, registers, answers)
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
            found.written(register, data)
        return 0

    def read(self, address: int, register: bytes, size: int, fast: bool, delay_ms: int):
        """(0, the bytes read) or (-1, None)."""
        found = self._answering(address)
        self._wire(2 + len(register) + size if register else 1 + size, fast, delay_ms)
        if found is None:
            return -1, None
        with self._lock:
            return 0, found.read(register, size)
