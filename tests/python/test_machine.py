"""machine (device/machine.py, _uart.py): UART with the firmware's API, bytes paced
by the baud rate in device time, callbacks, the PC's side and the DTU example;
Timer; a starved WDT restarting the module."""

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from device_run import run_device

import qpysim

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).with_name("qpysim")


def test_the_firmwares_constructor_checks_and_print(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        from machine import UART
        print(UART(UART.UART2, 115200, 8, 0, 1, 0))
        print(UART(1, 9600, 8, 2, 2, 1))
        for args in [(9, 115200, 8, 0, 1, 0), (2, 1234, 8, 0, 1, 0), (2, 115200, 7, 0, 1, 0),
                     (2, 115200, 8, 3, 1, 0), (2, 115200, 8, 0, 3, 0), (2, 115200, 8, 0, 1, 2),
                     (2,)]:
            try:
                UART(*args)
            except ValueError as e:
                print(e)
        print(UART.UART0, UART.UART3, UART.REPL_UART)
    """)
    assert result.status == 0, err
    assert out.splitlines() == [
        "UART(2, baudrate=115200, bits=8, parity=None, stop=1, flow=0)",
        "UART(1, baudrate=9600, bits=8, parity=0, stop=2, flow=1)",
        "UART(9) does not exist", "invalid baudrate",
        "invalid data bits, Unisoc platform only support 8 data bit.",
        "invalid parity bits", "invalid stop bits", "invalid flow bits", "invalid baudrate",
        "0 3 3"]


def test_bytes_arrive_at_the_baud_rate_with_a_callback_per_piece(tmp_path):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        from machine import UART
        import utime
        u = UART(UART.UART2, 9600, 8, 0, 1, 0)
        seen = []
        u.set_callback(lambda para: seen.append((tuple(para), utime.ticks_ms())))
        print('ready', u.any())
        while u.any() < 1500:
            utime.sleep_ms(5)
        print('all', utime.ticks_ms() // 10 * 10, seen)
        print(u.readline(), len(u.read(-1)), u.any(), u.read(10))
        print(u.write('reply\\n'), u.write(b'xyz', 2))
    """))
    with qpysim.Device(clock="virtual") as dev:
        line = dev.uart(2)
        dev.start(str(script))
        dev.expect("ready 0")
        line.send(b"a" * 499 + b"\n")  # 500 bytes at 9600 baud: 520.8 ms on the wire
        line.send(b"b" * 1000)
        result = dev.wait()
        assert result.status == 0, result.stderr
        lines = result.stdout.splitlines()
        # Both pieces on the wire back to back: 1500 bytes * 10 bits / 9600 baud.
        assert lines[1].startswith("all 1560 ")
        assert "((0, 2, 500), 520)" in lines[1] and "((0, 2, 1000), 1562)" in lines[1]
        assert lines[2] == "b'" + "a" * 499 + "\\n' 1000 0 b''"
        assert lines[3] == "6 2"
        assert line.take() == b"reply\nxy" and line.take() == b"" and line.written == 8


def test_the_rest_of_machine_says_it_is_not_emulated_or_is_stubbed(tmp_path, capsys):
    src = """
        import machine
        u = machine.UART(machine.UART.UART2, 115200, 8, 0, 1, 0)
        try:
            print(machine.SPI(1, 0, 1))
        except AttributeError as e:
            print(e)
    """
    result, out, err, _ = run_device(tmp_path, capsys, src)
    assert out == ("machine.SPI is not emulated by qpysim yet (README \"What is not "
                   "emulated\"); `qpysim run --stub machine` gives it an inert stand-in\n")
    (tmp_path / "main.py").write_text(textwrap.dedent(src))
    dev = qpysim.Device(fs=str(tmp_path), clock="virtual", stub=["machine"])
    capsys.readouterr()
    dev.run(str(tmp_path / "main.py"))
    out, err = capsys.readouterr()
    assert out == "None\n" and "qpysim: stub: machine.SPI() does nothing" in err


def test_micropython_ports_have_no_quectel_machine(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, "import machine\n", dialect="micropython")
    assert "ImportError: no module named 'machine'" in err


def dtu_folder(tmp_path, host="dtu.example.com", port=9000):
    folder = tmp_path / "dtu"
    shutil.copytree(ROOT / "examples" / "dtu", folder)
    (folder / "dtu_config.json").write_text(
        f'{{"uart": 2, "baud": 115200, "host": "{host}", "port": {port}}}')
    return folder


def test_the_dtu_example_moves_a_uart_line_to_its_server_and_back(tmp_path):
    folder = dtu_folder(tmp_path)
    with qpysim.Device(scenario=str(folder / "dtu.yaml")) as dev:
        line = dev.uart(2)
        dev.start(str(folder / "main.py"), timeout=60)
        dev.expect("connected to dtu.example.com 9000")
        line.send(b"temp=21.5\n")
        dev.expect(r"uart -> server b'temp=21.5'")
        dev.expect(r"server -> uart b'temp=21.5\\n'")
        assert line.take() == b"temp=21.5\n"
        dev.close()


def test_a_uart_bridged_to_a_tcp_port_reaches_a_real_server(tmp_path):
    """`qpysim run --uart 2=tcp:PORT`: what a PC program types into the bridge goes
    through the DTU to a server on the PC, and the answer comes back."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    got = []

    def serve():
        conn, _ = server.accept()
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                data += conn.recv(100)
            got.append(data)
            conn.sendall(b"ack " + data)
            conn.recv(1)

    threading.Thread(target=serve, daemon=True).start()
    folder = dtu_folder(tmp_path, "127.0.0.1", server.getsockname()[1])
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    bridge_port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen([str(BIN), "run", "--uart", f"2=tcp:{bridge_port}", "--timeout", "30",
                             "main.py"], cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        while "connected to" not in line:
            assert line, proc.stderr.read()
            line = proc.stdout.readline()
        pc = socket.create_connection(("127.0.0.1", bridge_port), timeout=10)
        pc.sendall(b"hello module\n")
        answer = b""
        while not answer.endswith(b"\n"):
            answer += pc.recv(100)
        pc.close()
        assert got == [b"hello module\n"] and answer == b"ack hello module\n"
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
        server.close()
    assert f"qpysim: UART2 is bridged to 127.0.0.1:{bridge_port}" in err


@pytest.mark.parametrize("spec, said", [
    ("2", "is not N=SPEC with N a UART from 0 to 6"),
    ("9=tcp:7000", "is not N=SPEC with N a UART from 0 to 6"),
    ("2=serial", "'serial' is not a bridge qpysim has (it has tcp:PORT, stdio and pty)"),
    ("2=tcp:99999", "tcp:PORT needs a port from 0 to 65535"),
])
def test_bad_uart_options_are_named(tmp_path, spec, said):
    (tmp_path / "main.py").write_text("pass\n")
    r = subprocess.run([str(BIN), "run", "--uart", spec, "main.py"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "qpysim: --uart: " in r.stderr and said in r.stderr, r.stderr


def test_a_tcp_bridge_needs_real_time(tmp_path):
    (tmp_path / "main.py").write_text("pass\n")
    r = subprocess.run([str(BIN), "run", "--clock", "virtual", "--uart", "2=tcp:0", "main.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ})
    assert r.returncode == 2 and "a tcp: bridge needs real time" in r.stderr, r.stderr


def test_timers_run_in_device_time(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        from machine import Timer
        import utime
        ticks = []
        t = Timer(Timer.Timer1)
        print(t.stop(), Timer.PERIODIC, Timer.ONE_SHOT)
        start = utime.ticks_ms()
        print(t.start(period=100, mode=Timer.PERIODIC,
                      callback=lambda tm: ticks.append(utime.ticks_diff(utime.ticks_ms(), start))))
        utime.sleep_ms(450)
        print(t.stop(), ticks)
        one = Timer(Timer.Timer2)
        one.start(freq=20, mode=Timer.ONE_SHOT, callback=lambda tm: print('one shot', tm is one))
        utime.sleep_ms(200)
        try:
            Timer(4)
        except ValueError as e:
            print(e)
    """)
    assert result.status == 0, err
    assert out.splitlines() == ["-1 1 2", "0", "0 [100, 200, 300, 400]", "one shot True",
                                "invalid value, Timern should be in (Timer0~Timer3)."]


def test_a_starved_watchdog_restarts_the_module_with_power_on_reason_5(tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import WDT
        import utime, misc
        print('boot', misc.Power.powerOnReason())
        if misc.Power.powerOnReason() != 5:
            w = WDT(2)
            for i in range(3):
                utime.sleep(1)
                print('feed', w.feed())
            while True:
                utime.sleep(1)  # a hung main loop: nobody feeds it
    """))
    r = subprocess.run([str(BIN), "run", "--clock", "virtual", "--max-restarts", "1", "main.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["boot 1", "feed 0", "feed 0", "feed 0", "boot 5"]
    assert "the watchdog restarted the module (reboot 1, scenario time 5.000 s)" in r.stderr


def test_the_rtc_reads_and_sets_the_modules_local_time(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        from machine import RTC
        import utime
        r = RTC()
        print(r.datetime())
        print(r.datetime((2030, 5, 17, 0, 12, 30, 45, 0)))
        utime.sleep(2)
        print(r.datetime(), utime.localtime()[:6], utime.time() % 86400 // 3600)
        try:
            r.datetime((2030, 5))
        except ValueError as e:
            print(e)
    """)
    assert result.status == 0, err
    # Virtual time starts at 2026-01-01 00:00 +08:00, a Thursday (3, Monday being 0).
    assert out.splitlines() == ["(2026, 1, 1, 3, 0, 0, 0, 0)", "0",
                                "(2030, 5, 17, 4, 12, 30, 47, 0) (2030, 5, 17, 12, 30, 47) 4",
                                "requested length 8 but object has length 2"]


def test_pins_drive_the_pc_and_read_what_the_pc_sets(tmp_path):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        from machine import Pin
        import utime
        led = Pin(Pin.GPIO16, Pin.OUT, Pin.PULL_PD, 0)
        print(led.read(), led.write(1), led.read(), led.value(), led.value(0), led.read())
        key = Pin(Pin.GPIO5, Pin.IN, Pin.PULL_PU)
        print('key', key.read(), key.get_dir())
        while key.read():
            utime.sleep_ms(10)
        led.on()
        print('pressed')
        utime.sleep(1)
        for bad in [(0,), (48,), (5, 2), (5, 0, 3), (5, 0, 0, 2)]:
            try:
                Pin(*bad)
            except ValueError as e:
                print(e)
    """))
    with qpysim.Device(clock="virtual") as dev:
        dev.start(str(script))
        dev.expect("^key 1 0$")
        assert dev.pin(16).level == 0
        dev.pin(5).level = 0
        dev.expect("^pressed$")
        assert dev.pin(16).level == 1
        result = dev.wait()
        # what the app drove on the LED, in device time: on, off, on at the press
        assert [level for _, level in dev.pin(16).changes] == [1, 0, 1]
        assert dev.pin(16).changes[-1][0] > dev.pin(16).changes[1][0]
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines()[0] == "0 0 1 1 None 0"
    assert result.stdout.splitlines()[3:] == [
        "invalid pin", "invalid pin", "invalid pin dir, range{0:dir in, 1:dir out}",
        "invalid pin pull, range{0:PIN_PULL_DISABLE, 1:PIN_PULL_PU, 2:PIN_PULL_PD}",
        "invalid pin value, range{0:PIN_LEVEL_LOW, 1:PIN_LEVEL_HIGH}"]
    with pytest.raises(ValueError, match="pin level must be 0, 1 or None"):
        dev.pin(5).level = 2


def test_uart_carries_the_gpio_numbers_for_rs485_control(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        from machine import UART
        u = UART(UART.UART2, 115200, 8, 0, 1, 0)
        print(UART.GPIO28, u.control_485(getattr(UART, 'GPIO%d' % 28), 0))
    """)
    assert result.status == 0, err
    assert out == "28 0\n"


def test_extint_calls_back_on_the_edges_the_pc_makes(tmp_path):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        from machine import ExtInt
        import utime
        seen = []
        e = ExtInt(ExtInt.GPIO5, ExtInt.IRQ_FALLING, ExtInt.PULL_PU,
                   lambda args: seen.append((args, utime.ticks_ms() // 100 * 100)))
        print('armed', e.enable(), e.line(), e.read_level())
        utime.sleep(5)
        print(seen, e.read_count(1), e.read_count(0), e.disable())
        for bad in [(0, 0, 0), (5, 3, 0), (5, 0, 3)]:
            try:
                ExtInt(*bad, print)
            except ValueError as err:
                print(err)
    """))
    with qpysim.Device(clock="virtual") as dev:
        dev.start(str(script))
        dev.expect("^armed 0 5 1$")
        key = dev.pin(5)
        key.level = 0          # falling: counted and called back
        dev.modem.sleep(1)
        key.level = 1          # rising: not asked for
        dev.modem.sleep(1)
        key.level = None       # released: the pull-up keeps it high, no edge
        result = dev.wait()
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "[([5, 1], 0)] [0, 1] [0, 0] 0", "invalid pin value", "invalid mode value",
        "invalid pull value"]


ECHO_UART = """
from machine import UART
import utime
u = UART(UART.UART2, 115200, 8, 0, 1, 0)
while True:
    if u.any():
        u.write(b'got:' + u.read(u.any()))
    utime.sleep_ms(10)
"""


def test_a_uart_bridged_to_stdio(tmp_path):
    (tmp_path / "main.py").write_text(ECHO_UART)
    r = subprocess.run([str(BIN), "run", "-q", "--uart", "2=stdio", "--timeout", "2", "main.py"],
                       cwd=tmp_path, input=b"hello\n", capture_output=True, timeout=60)
    assert r.returncode == 3, r.stderr  # the device-time limit ends the DTU
    assert r.stdout == b"got:hello\n"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="pty bridges are POSIX only")
def test_a_uart_bridged_to_a_pty(tmp_path):
    import re
    import tty

    (tmp_path / "main.py").write_text(ECHO_UART)
    proc = subprocess.Popen([str(BIN), "run", "--uart", "2=pty", "--timeout", "30", "main.py"],
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        path = None
        for line in proc.stderr:
            found = re.search(r"UART2 is bridged to (/dev/\S+)", line)
            if found:
                path = found.group(1)
                break
        assert path, "no pty path was said"
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            tty.setraw(fd)
            os.write(fd, b"ping\n")
            got = b""
            while not got.endswith(b"\n"):
                got += os.read(fd, 100)
        finally:
            os.close(fd)
        assert got == b"got:ping\n"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_scripted_device_on_a_uart_from_the_scenario(tmp_path):
    """examples/dtu/sensor.yaml: a sensor on UART2 sends readings and waits for
    the server's answer to come back out of the UART, all in device time."""
    folder = dtu_folder(tmp_path)
    shutil.copy(ROOT / "examples" / "dtu" / "sensor.yaml", folder)
    with qpysim.Device(scenario=str(folder / "sensor.yaml")) as dev:
        dev.start(str(folder / "main.py"), timeout=120)
        dev.expect(r"uart -> server b'temp=21.5'")
        first = dev.modem.now()
        dev.expect(r"server -> uart b'temp=21.5\\n'")
        dev.expect(r"uart -> server b'temp=21.7'")
        second = dev.modem.now()
        dev.expect(r"server -> uart b'temp=21.7\\n'")
        dev.close()
    assert 5 < first < 6 and 10 < second - first < 11


@pytest.mark.parametrize("uart, said", [
    ("{9: {script: []}}", "uart: a UART number"),
    ("{2: {script: [close]}}", "a script step is one of expect/send/delay: TEXT; got 'close'"),
    ("{2: {baud: 9600}}", "baud"),
    ("{2: {script: [{send: a, expect: b}]}}", "a script step has exactly one of"),
])
def test_bad_uart_scenarios_are_named(tmp_path, uart, said):
    check_refuses(tmp_path, f"uart: {uart}\n", said, "s.yaml:1:")


def check_refuses(tmp_path, scenario, said, where):
    """`qpysim check` refuses the scenario, saying `said` at `where`."""
    (tmp_path / "s.yaml").write_text(scenario)
    r = subprocess.run([str(BIN), "check", str(tmp_path / "s.yaml")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and said in r.stderr + r.stdout, r.stderr + r.stdout
    assert where in r.stderr + r.stdout


def test_a_pin_fault_on_the_timeline_presses_a_button(tmp_path):
    """A `pin` fault holds an input low for its `for`: Pin.value() reads it, ExtInt
    calls back at the fault's device time, and the run goes on while presses
    are ahead. A fault's level wins over what a test set."""
    (tmp_path / "door.yaml").write_text(textwrap.dedent("""
        clock: virtual
        timeline:
          - {at: 3s, for: 500ms, fault: {kind: pin, gpio: 5, level: 0}}
          - {every: 10s, start: 10s, count: 2, for: 1s, fault: {kind: pin, gpio: 5}}
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import ExtInt, Pin
        import utime
        def pressed(args):
            print('press', args, utime.ticks_ms())
        e = ExtInt(ExtInt.GPIO5, ExtInt.IRQ_FALLING, ExtInt.PULL_PU, pressed)
        e.enable()
        p = Pin(Pin.GPIO5, Pin.IN, Pin.PULL_PU)
        print('level', p.value())
        utime.sleep_ms(3200)
        print('held', p.value())
        utime.sleep_ms(1000)
        print('let go', p.value(), e.read_count(0))
    """))
    with qpysim.Device(scenario=str(tmp_path / "door.yaml")) as dev:
        dev.pin(5).level = 1  # the test holds it high: the fault still pulls it low
        result = dev.run(str(tmp_path / "main.py"), timeout=60)
        assert dev.pin(5).level == 1 and dev.modem.now() == pytest.approx(21)
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == [
        "level 1", "press [5, 1] 3000", "held 0", "let go 1 [0, 1]",
        "press [5, 1] 10000", "press [5, 1] 20000"]


def test_a_pin_fault_applied_by_a_test_moves_a_pin_nobody_opened(tmp_path):
    with qpysim.Device(clock="virtual") as dev:
        line = dev.pin(7)
        assert line.level == 0  # nothing drives it, no pull: low
        fid = dev.faults.apply("pin", gpio=7, level=1)
        assert line.level == 1
        dev.faults.lift(fid)
        assert line.level == 0
        with pytest.raises(ValueError, match="gpio must be a whole number from 1 to 47"):
            dev.faults.apply("pin", gpio=48)


def test_uart_overrun_keeps_the_fifo_and_loses_the_newest_bytes(tmp_path):
    """With a 256-byte FIFO, 300 bytes sent to an app that sleeps: any() is 256,
    44 bytes are lost, counted and traced; lifted, nothing is lost again."""
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import UART
        import utime
        u = UART(UART.UART2, 115200, 8, 0, 1, 0)
        print('open')
        utime.sleep(1)
        print('any', u.any())
        data = u.read(1000)
        print(len(data), data[-4:])
        utime.sleep(1)
        print('after lift', u.any())
    """))
    with qpysim.Device(clock="virtual", trace_in_memory=True) as dev:
        fid = dev.faults.apply("uart_overrun", name="slow-reader", uart=2, size=256)
        line = dev.uart(2)
        dev.start(str(tmp_path / "main.py"))
        dev.expect("^open$")
        line.send(bytes(range(100)) * 3)
        dev.expect("^any ")
        dev.faults.lift(fid)
        line.send(b"z" * 300)
        result = dev.wait()
        trace = [t for t in dev.modem.trace_lines() if '"ev":"uart"' in t]
        lost = line.lost
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == [
        "open", "any 256", "256 b'4567'", "after lift 300"]
    assert lost == 44
    assert len(trace) == 1 and '"lost":44,"fifo":256,"fault":"slow-reader"' in trace[0]


@pytest.mark.parametrize("fault, said", [
    ("{kind: pin}", "fault 'pin' (pin): gpio is required"),
    ("{kind: pin, gpio: 3, level: 2}", "level"),
    ("{kind: uart_overrun, uart: 9}", "uart"),
    ("{kind: uart_overrun, size: 0}", "size must be 1 byte..1MB"),
])
def test_bad_peripheral_faults_are_named(tmp_path, fault, said):
    check_refuses(tmp_path, f"faults:\n  - {fault}\n", said, "s.yaml:2:")


SHT30 = """
from machine import I2C
import utime
i2c = I2C(I2C.I2C1, I2C.STANDARD_MODE)
def measure():
    t0 = utime.ticks_us()
    assert i2c.write(0x44, bytearray([0x2c, 0x06]), 2, bytearray(0), 0) == 0
    buf = bytearray(6)
    status = i2c.read(0x44, bytearray(0), 0, buf, 6, 20)
    took = utime.ticks_diff(utime.ticks_us(), t0)
    t = -45 + 175 * (buf[0] << 8 | buf[1]) / 65535
    rh = 100 * (buf[3] << 8 | buf[4]) / 65535
    return status, '%.1f' % t, '%.1f' % rh, took
print(i2c, measure())
utime.sleep(1)
print(measure())
"""


def test_an_i2c_sensor_from_the_scenario_answers_the_command_written_before(tmp_path):
    """An SHT3x: the app writes the command 2C06, then reads 6 bytes without a
    register address after a 20 ms delay; the read gets the command's answer.
    The transfers take their bits' time at 100 kHz plus the delay, in device time,
    and a test changes the reading between two measurements."""
    (tmp_path / "sht.yaml").write_text(textwrap.dedent("""
        clock: virtual
        i2c:
          1:
            0x44:
              answers:
                2c06: 6147 00 6666 00     # 21.5 C, 40.0 %RH (CRC bytes not checked)
    """))
    (tmp_path / "main.py").write_text(SHT30)
    with qpysim.Device(scenario=str(tmp_path / "sht.yaml")) as dev:
        sensor = dev.i2c(1).device(0x44)
        dev.start(str(tmp_path / "main.py"))
        dev.expect("^I2C1 ")
        sensor.answers[b"\x2c\x06"] = bytes.fromhex("6d8c00a3d700")  # warmer, more humid
        result = dev.wait()
        writes = sensor.writes
    assert result.status == 0, result.stderr
    # write: 3 bytes * 9 bits at 100 kHz = 270 us; read: 7 bytes = 630 us, + 20 ms
    assert result.stdout.splitlines() == [
        "I2C1 (0, '21.5', '40.0', 20900)", "(0, '29.9', '64.0', 20900)"]
    assert writes == [(b"\x2c\x06", b"")] * 2


def test_i2c_registers_auto_increment_read_back_and_absent_devices_fail(tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import I2C
        i2c = I2C(I2C.I2C0, I2C.FAST_MODE)
        print(i2c.write(0x50, b'\\x00\\x10', 2, b'hello', 5))
        out = bytearray(8)
        print(i2c.read(0x50, b'\\x00\\x10', 2, out, 8, 0), out)
        part = bytearray(4)
        print(i2c.read(0x50, b'\\x00\\x10\\x99', 2, part, 3, 0), part)   # 2 of 3, 3 of 4
        print(i2c.write(0x50, b'\\x00\\x20', 2, b'abcdef', 3))          # datasize 3 of 6
        print(i2c.read(slaveaddr=0x50, regaddr=b'\\x00\\x20', regaddr_len=2, databuf=out,
                       datasize=8, dalay=0), out)
        print(i2c.read(0x50, b'\\x00\\x12', 2, part, 2, 0), part)   # inside what was written
        print(i2c.read(0x50, b'', 0, part, 4, 0), part)   # goes on from 0x0014
        print(i2c.read(0x51, b'\\x00', 1, out, 1, 0), i2c.write(0x22, b'', 0, b'x', 1))
        print(i2c.read(0x60, b'', 0, out, 2, 0))   # unplugged by the test
    """))
    with qpysim.Device(clock="virtual") as dev:
        eeprom = dev.i2c(0).attach(0x50)
        dev.i2c(0).attach(0x60, {0: b"\x01\x02"})
        dev.i2c(0).detach(0x60)
        result = dev.run(str(tmp_path / "main.py"))
        assert eeprom.get(0x10, 5) == b"hello" and eeprom.get(0x20, 4) == b"abc\x00"
        with pytest.raises(KeyError, match="no device at 0x60 on I2C0 .there: .'0x50'.."):
            dev.i2c(0).device(0x60)
        with pytest.raises(ValueError, match="i2c: bus must be 0..3"):
            dev.i2c(4)
        with pytest.raises(ValueError, match="i2c: address must be a 7-bit address"):
            dev.i2c(0).attach(0x80)
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == [
        "0", "0 bytearray(b'hello\\x00\\x00\\x00')", "0 bytearray(b'hel\\x00')",
        "0", "0 bytearray(b'abc\\x00\\x00\\x00\\x00\\x00')", "0 bytearray(b'lll\\x00')",
        "0 bytearray(b'o\\x00\\x00\\x00')", "-1 -1", "-1"]


def test_i2c_arguments_are_checked_as_the_firmware_checks_them(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        from machine import I2C
        i2c = I2C(I2C.I2C2, I2C.STANDARD_MODE)
        for call in [lambda: I2C(4, 0), lambda: I2C(-1, 0), lambda: I2C(1),
                     lambda: I2C(id=1, fastmode=0, x=1),
                     lambda: i2c.read(0x44, b'', 0, b'xx', 2, 0),
                     lambda: i2c.write(0x44, 5, 1, b'', 0),
                     lambda: i2c.read(0x44, b'', 0, bytearray(2), 2),
                     lambda: i2c.write('a', b'', 0, b'', 0)]:
            try:
                print(call())
            except Exception as e:
                print(type(e).__name__, e)
        print(I2C.I2C0, I2C.I2C3, I2C.STANDARD_MODE, I2C.FAST_MODE)
    """)
    assert result.status == 0, err
    assert out.splitlines() == [
        "ValueError bus id must be (0~3)", "ValueError bus id must be (0~3)",
        "TypeError 'fastmode' argument required", "TypeError unexpected keyword argument 'x'",
        "TypeError object with buffer protocol required",
        "TypeError object with buffer protocol required", "TypeError 'dalay' argument required",
        "TypeError slaveaddr must be an int, not str", "0 3 0 1"]


def test_an_i2c_nack_fault_silences_a_sensor_for_its_time(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        clock: virtual
        i2c: {1: {0x44: {answers: {2c06: 614700666600}}}}
        timeline:
          - {at: 10s, for: 5s, fault: {kind: i2c_nack, bus: 1, address: 0x44}}
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import I2C
        import utime
        i2c = I2C(I2C.I2C1, I2C.STANDARD_MODE)
        got = []
        for _ in range(5):
            got.append(i2c.read(0x44, b'\\x2c\\x06', 2, bytearray(6), 6, 0))
            utime.sleep(5)
        print(got)
    """))
    result = qpysim.Device(scenario=str(tmp_path / "s.yaml")).run(str(tmp_path / "main.py"))
    assert result.status == 0, result.stderr
    assert result.stdout == "[0, 0, -1, 0, 0]\n"  # at 0, 5, 10 (silent), 15, 20 s


def test_misc_adc_reads_what_a_test_or_an_adc_fault_puts_on_the_channel(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        clock: virtual
        timeline:
          - {at: 10s, for: 10s, fault: {kind: adc, channel: 0, mv: 3100}}
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from misc import ADC
        import utime
        adc = ADC()
        print(adc.open(), adc.read(ADC.ADC1), adc.read(4), adc.read(-1))
        for _ in range(3):
            print(adc.read(ADC.ADC0))
            utime.sleep(10)
        print(adc.close())
    """))
    with qpysim.Device(scenario=str(tmp_path / "s.yaml")) as dev:
        dev.adc(0).mv = 3800  # a full battery through a divider
        result = dev.run(str(tmp_path / "main.py"))
        with pytest.raises(ValueError, match="adc: mv must be a whole number of millivolts"):
            dev.adc(0).mv = -5
        with pytest.raises(ValueError, match="adc: channel must be 0..3"):
            dev.adc(4)
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == ["0 0 -1 -1", "3800", "3100", "3800", "0"]


def test_importing_a_name_qpysim_leaves_out_of_machine_or_misc_says_so(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        for src in ['from machine import SPI', 'from misc import USB', 'from machine import Nope']:
            try:
                exec(src)
            except ImportError as e:
                print(e)
    """)
    assert result.status == 0, err
    assert out.splitlines() == [
        "cannot import name 'SPI' from 'machine': machine.SPI is not emulated by qpysim yet "
        "(README \"What is not emulated\"); `qpysim run --stub machine` gives it an inert "
        "stand-in",
        "cannot import name 'USB' from 'misc': misc.USB is not emulated by qpysim yet "
        "(README \"What is not emulated\"); `qpysim run --stub misc` gives it an inert stand-in",
        "cannot import name 'Nope' from 'machine': module 'machine' has no attribute 'Nope'"]


def test_i2c_register_blocks_read_word_by_word_and_commands_leave_registers_alone(tmp_path):
    """A BMP280-style block (calibration from 0x88) read one word at a time, a mode
    written and read back; an AHT-style command (0xAC with parameters 33 00) whose
    answer the next plain read gets, without touching register 0xAC."""
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        clock: virtual
        i2c:
          0:
            0x76: {registers: {d0: 58, 88: 706b 4367 18fc}}
          1:
            0x38: {answers: {ac: 1c 80 00 06 00 00}}
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import I2C
        b0, b1 = I2C(I2C.I2C0, I2C.STANDARD_MODE), I2C(I2C.I2C1, I2C.FAST_MODE)
        def rd(bus, addr, reg, n):
            buf = bytearray(n)
            assert bus.read(addr, reg, len(reg), buf, n, 0) == 0
            return bytes(buf)
        words = [int.from_bytes(rd(b0, 0x76, bytes([r]), 2), 'little') for r in (0x88, 0x8a, 0x8c)]
        print(rd(b0, 0x76, b'\\xd0', 1), words)
        print(b0.write(0x76, b'\\xf4', 1, b'\\x27', 1), rd(b0, 0x76, b'\\xf4', 1))
        print(b1.write(0x38, b'\\xac', 1, b'\\x33\\x00', 2), rd(b1, 0x38, b'', 6).hex())
        print(rd(b1, 0x38, b'\\xac', 2))
    """))
    with qpysim.Device(scenario=str(tmp_path / "s.yaml")) as dev:
        result = dev.run(str(tmp_path / "main.py"))
        writes = dev.i2c(1).device(0x38).writes
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == [
        "b'X' [27504, 26435, 64536]", "0 b\"'\"", "0 1c8000060000", "b'\\x00\\x00'"]
    assert writes == [(b"\xac", b"\x33\x00")]


def test_a_vbatt_fault_sags_the_supply_getvbatt_reports(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        clock: virtual
        timeline:
          - {at: 1h, for: 1h, fault: {kind: vbatt, mv: 3350}}
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import misc, utime
        for _ in range(3):
            print(misc.Power.getVbatt())
            utime.sleep(3600)
    """))
    result = qpysim.Device(scenario=str(tmp_path / "s.yaml")).run(str(tmp_path / "main.py"))
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == ["3800", "3350", "3800"]


def test_misc_pwm_runs_with_the_firmwares_checks_and_the_pc_sees_it(tmp_path):
    """A buzzer: 500 Hz at 50 % for 200 ms, then 4 kHz at 40 %; Unisoc's ranges
    refuse a high time over the cycle and a PWMn over 3 (misc_pwm.c)."""
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from misc import PWM
        import utime
        buzzer = PWM(PWM.PWM0, PWM.ABOVE_MS, 1, 2)
        print(buzzer, buzzer.open())
        utime.sleep_ms(200)
        print(buzzer.close(), buzzer.open(PWM.ABOVE_1US, 100, 250))
        for bad in [(4, 0, 1, 2), (0, PWM.ABOVE_MS, 5, 2), (0, PWM.ABOVE_MS, 11, 20),
                    (0, PWM.ABOVE_BELOW_US, 50, 99), (0, 1, 2)]:
            try:
                PWM(*bad)
            except (ValueError, TypeError) as e:
                print(type(e).__name__, e)
    """))
    with qpysim.Device(clock="virtual") as dev:
        result = dev.run(str(tmp_path / "main.py"))
        line = dev.pwm(0)
        assert line.running and line.frequency == pytest.approx(4000) and line.duty == 0.4
        assert [(round(t, 3), f, d) for t, f, d in line.changes] == [
            (0.0, 500.0, 0.5), (0.2, 0.0, 0.5), (0.2, pytest.approx(4000), 0.4)]
    assert result.status == 0, result.stderr
    refused = ("ValueError PWM parameter error, please refer to wiki instructions to correct "
               "the parameters")
    assert result.stdout.splitlines() == [
        "PWM(pin:0 high time:1 cycle_time:2) 0", "0 0",
        "ValueError invalid PWMn value, must be in {0~3}.", refused, refused, refused,
        "TypeError function takes 4 positional arguments but 3 were given"]


def test_an_leds_blinks_are_kept_with_their_device_times(tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from machine import Pin
        import utime
        led = Pin(Pin.GPIO16, Pin.OUT, Pin.PULL_PD, 0)
        utime.sleep(1)
        for _ in range(3):
            led.write(1)
            utime.sleep_ms(100)
            led.write(0)
            utime.sleep_ms(400)
    """))
    with qpysim.Device(clock="virtual") as dev:
        result = dev.run(str(tmp_path / "main.py"))
        blinks = [(round(t, 2), level) for t, level in dev.pin(16).changes]
    assert result.status == 0, result.stderr
    assert blinks == [(1.0, 1), (1.1, 0), (1.5, 1), (1.6, 0), (2.0, 1), (2.1, 0)]
