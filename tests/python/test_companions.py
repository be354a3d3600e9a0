"""The companion modules, against the shapes in shared/reference/quecpython.md.

Run in virtual time: every sleep and timeout below is exact device time.
"""

import pytest
import qpysim
from device_run import run_device

from qpysim import _core


def out_of(tmp_path, capsys, source, **kw):
    result, out, err, _ = run_device(tmp_path, capsys, source, **kw)
    assert result.status == 0, err
    return out


# ---------------------------------------------------------------- utime


def test_utime_sleeps_in_device_time_and_ticks_wrap_at_2_30(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import utime
        t0 = utime.ticks_ms()
        utime.sleep(1)
        utime.sleep_ms(250)
        utime.sleep_us(500)
        print(utime.ticks_diff(utime.ticks_ms(), t0), utime.ticks_diff(utime.ticks_us(), t0 * 1000))
        print(utime.ticks_add(0x3FFFFFFF, 1), utime.ticks_diff(0, 0x3FFFFFFF), utime.ticks_diff(5, 3))
        """)
    assert out.splitlines() == ["1250 1250500", "0 1 2"]


def test_utime_rtc_localtime_and_the_utc8_mktime_quirk(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import utime
        print(utime.localtime())
        print(utime.mktime((2020, 9, 29, 8, 54, 42, 1, 273)))
        print(utime.localtime(1601340882))
        print(utime.getTimeZone())
        utime.setTimeZone(0)
        print(utime.localtime()[3], utime.mktime(utime.localtime()) - utime.time())
        try:
            utime.setTimeZone(13)
        except ValueError:
            print("range")
        try:
            utime.mktime((2020, 1, 1))
        except TypeError:
            print("tuple")
        """)
    assert out.splitlines() == [
        "(2026, 1, 1, 0, 0, 0, 3, 1)",   # virtual time starts 2026-01-01 00:00 +08:00
        "1601340882",                    # the docs' example
        "(2020, 9, 29, 8, 54, 42, 1, 273)",
        "8",
        "16 -28800",                     # mktime keeps subtracting 8 h whatever the zone
        "range",
        "tuple",
    ]


def test_utime_argument_types(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import utime
        for call in (lambda: utime.sleep("1"), lambda: utime.sleep_ms(1.5)):
            try:
                call()
            except TypeError:
                print("TypeError")
        """)
    assert out.split() == ["TypeError", "TypeError"]


# ---------------------------------------------------------------- log


def test_log_lines_levels_and_names(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        import log
        log.basicConfig(level=log.INFO)
        l = log.getLogger("APP")
        l.debug("hidden")
        l.info("value %d", 7)
        l.warning("careful")
        l.error("bad")
        l.critical("worse")
        l.setLevel(log.DEBUG)
        l.debug("now shown")
        log.getLogger("OTHER").debug("still hidden")
        print(log.getLogger("APP") is l, log.CRITICAL, log.WARNING)
        log.basicConfig(level=log.INFO, filename="x.txt")
        """)
    assert result.status == 0
    lines = [line for line in err.splitlines() if ":" in line and not line.startswith("qpysim")]
    assert lines == ["INFO:APP:value 7", "WARN:APP:careful", "ERROR:APP:bad", "CRIT:APP:worse",
                     "DEBUG:APP:now shown"]
    assert out.splitlines() == ["True 50 30", "logging.basicConfig: filename arg is not supported"]


def test_log_set_output_needs_a_writer(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import log, usys
        log.set_output(usys.stdout)
        log.getLogger("X").info("to stdout")
        try:
            log.set_output(42)
        except Exception as e:
            print("refused")
        """)
    assert out.splitlines() == ["INFO:X:to stdout", "refused"]


# ---------------------------------------------------------------- sim, modem, net


def test_sim_and_modem_identity(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import sim, modem
        print(sim.getStatus(), type(sim.getStatus()).__name__)
        print(len(sim.getImsi()), sim.getImsi()[:5], len(sim.getIccid()), len(sim.getPhoneNumber()))
        imei = modem.getDevImei()
        print(len(imei), modem.getDevModel(), modem.getDevFwVersion(), modem.getDevProductId())
        print(len(modem.getDevSN()))
        print(imei)
        """)
    lines = out.splitlines()
    assert lines[0] == "1 int"
    assert lines[1] == "15 46000 20 11"
    assert lines[2] == "15 EC600U EC600UCNLBR03A01M08_OCPU_QPY Quectel"
    imei = lines[4]
    # The last digit is the Luhn check digit of the first 14.
    digits = [int(c) for c in imei[:14]]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    assert int(imei[14]) == (10 - total % 10) % 10


def test_net_shapes(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import net, utime
        s = net.getState()
        print(type(s).__name__, len(s), len(s[0]), len(s[1]), s[1][0], s[1][3])
        print(net.csqQueryPoll(), net.getConfig(), net.getModemFun())
        print(net.operatorName())
        sig = net.getSignal(1)
        print(len(sig[0]), len(sig[1]), sig[1][4] != 255, net.getSignal()[1][4])
        t0 = utime.ticks_ms()
        cells = net.getCellInfo()
        print(utime.ticks_diff(utime.ticks_ms(), t0), cells[0], cells[1], len(cells[2][0]))
        print(net.nitzTime())
        print(net.setConfig(5, 0), net.getConfig(), net.setConfig(99))
        """)
    lines = out.splitlines()
    assert lines[0] == "tuple 2 6 6 1 7"
    assert lines[1] == "24 (8, False) 1"
    assert lines[2] == "('CHINA MOBILE', 'CMCC', '460', '00')"
    assert lines[3] == "4 5 True 255"
    assert lines[4] == "3000 [] [] 10"   # the cell search blocks 3 s of device time
    assert lines[5].startswith("('26/01/01,00:00:03+32,0', 1767196803, 0)")
    assert lines[6] == "0 (5, False) -1"


def test_set_modem_fun_4_deregisters_and_1_comes_back_with_a_new_address(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import net, dataCall, utime, checkNet
        ip = dataCall.getInfo(1, 0)[2][2]
        events = []
        dataCall.setCallback(lambda args: events.append((args[0], args[1])))
        print(net.setModemFun(4), net.getModemFun(), net.getState()[1][0], net.csqQueryPoll())
        print(dataCall.getInfo(1, 0))
        print(net.setModemFun(1), net.getState()[1][0])
        print(checkNet.waitNetworkReady(30))
        new_ip = dataCall.getInfo(1, 0)[2][2]
        print(new_ip != ip, new_ip.startswith("10."))
        utime.sleep_ms(10)
        print(events)
        print(net.setModemFun(7))
        """)
    assert out.splitlines() == [
        "0 4 0 -1",
        "(1, 0, [0, 0, '0.0.0.0', '0.0.0.0', '0.0.0.0'])",
        "0 2",                       # searching again
        "(3, 1)",
        "True True",
        "[(1, 0), (1, 1)]",
        "-1",
    ]


# ---------------------------------------------------------------- dataCall


def test_datacall_contexts_and_info_shapes(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import dataCall
        print(dataCall.getPDPContext(1))
        print(dataCall.setPDPContext(2, 2, "iot.apn", "user", "pw", 0), dataCall.getPDPContext(2))
        print(dataCall.setPDPContext(2, 0, "iot.apn", "", "", 3), dataCall.getPDPContext(2))
        print(dataCall.setPDPContext(2, 5, "x", "", "", 0))
        try:
            dataCall.setPDPContext(4, 0, "x", "", "", 0)
        except ValueError:
            print("profileID")
        info = dataCall.getInfo(1, 0)
        print(info[0], info[1], info[2][0], info[2][1], info[2][2].startswith("10."), info[2][3:])
        both = dataCall.getInfo(1, 2)
        print(both[1], len(both), both[3])
        print(dataCall.getInfo(2, 0))
        print(dataCall.getInfo(2, 1))
        print(dataCall.getPdpRange(), dataCall.getInfo(9, 0))
        print(dataCall.setPDPContext(3, 1, "v6", "", "", 0), dataCall.activate(3))
        v6 = dataCall.getInfo(3, 1)
        print(v6[2][0], v6[2][2].startswith("2408:"), dataCall.getInfo(3, 0)[2][0])
        """)
    assert out.splitlines() == [
        "(0, 'cmnet', '', '', 0)",
        "0 (2, 'iot.apn', 'user', 'pw', 2)",     # credentials without a method: CHAP
        "0 (0, 'iot.apn', '', '', 0)",           # a method without credentials: none
        "-1",
        "profileID",
        "1 0 1 0 True ['58.242.2.2', '218.104.78.2']",
        "2 4 [0, 0, '::', '::', '::']",
        "(2, 0, [0, 0, '0.0.0.0', '0.0.0.0', '0.0.0.0'])",
        "(2, 1, [0, 0, '::', '::', '::'])",
        "(1, 3) -1",
        "0 0",
        "1 True 0",
    ]


def test_datacall_callbacks_on_deactivate_and_activate(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import dataCall, utime
        t0 = utime.ticks_ms()
        seen = []
        def cb(args):
            seen.append((args[0], args[1], utime.ticks_diff(utime.ticks_ms(), t0)))
        print(dataCall.setCallback(cb))
        utime.sleep(1)
        print(dataCall.deactivate(1))
        utime.sleep(1)
        print(dataCall.activate(1))
        utime.sleep(1)
        print(seen)
        """)
    assert out.splitlines() == ["0", "0", "0", "[(1, 0, 1000), (1, 1, 2300)]"]


def test_auto_activate_off_leaves_the_data_call_down_after_airplane_mode(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import dataCall, net, utime
        dataCall.setAutoActivate(1, 0)
        dataCall.setAutoConnect(1, 0)
        net.setModemFun(4)
        net.setModemFun(1)
        utime.sleep(10)
        print(net.getState()[1][0], dataCall.getInfo(1, 0)[2][0])
        print(dataCall.activate(1), dataCall.getInfo(1, 0)[2][0])
        """)
    assert out.splitlines() == ["1 0", "0 1"]


# ---------------------------------------------------------------- sockets and the network


def test_airplane_mode_aborts_an_open_connection(tmp_path, capsys, server):
    import conftest
    srv = server(conftest.silent)
    out = out_of(tmp_path, capsys, f"""
        import usocket, net, utime
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
        s.connect(("127.0.0.1", {srv.port}))
        print(s.getsocketsta())
        net.setModemFun(4)
        print(s.getsocketsta())
        for call in (lambda: s.send(b"x"), lambda: s.recv(1)):
            try:
                call()
            except OSError as e:
                print(e.args[0], e)
        t = usocket.socket()
        try:
            t.connect(("127.0.0.1", {srv.port}))
        except OSError as e:
            print("new socket", e.args[0])
        try:
            usocket.getaddrinfo("example.com", 80)
        except OSError as e:
            print("dns", e.args[0])
        """, clock="real")
    assert out.splitlines() == [
        "4", "0",
        "103 [Errno 103] ECONNABORTED",   # lwIP aborts pcbs on the lost address
        "103 [Errno 103] ECONNABORTED",
        "new socket 113",                 # no data call: no route
        "dns -202",
    ]


# ---------------------------------------------------------------- osTimer, _thread, sys_bus


def test_ostimer_is_the_module_and_runs_in_device_time(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import osTimer, utime
        t0 = utime.ticks_ms()
        hits = []
        t = osTimer()
        print(callable(osTimer), t.start(250, 1, lambda arg: hits.append(utime.ticks_diff(utime.ticks_ms(), t0))))
        one = osTimer()
        one.start(600, 0, lambda arg: hits.append(("once", utime.ticks_diff(utime.ticks_ms(), t0))))
        utime.sleep(1.1)
        print(t.stop(), hits)
        utime.sleep(1)
        print(len(hits), t.delete_timer(), t.start(10, 0, print), t.stop())
        """)
    assert out.splitlines() == [
        "True 0",
        "0 [250, 500, ('once', 600), 750, 1000]",
        "5 0 -1 -1",
    ]


def test_thread_locks_semaphores_and_stop(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import _thread, utime
        lock = _thread.allocate_lock()
        print(lock.acquire(), lock.locked(), lock.acquire(0), lock.acquire(1, 0.5))
        lock.release()
        try:
            lock.release()
        except RuntimeError:
            print("unlocked")
        sem = _thread.allocate_semphore(2)
        sem.acquire()
        print(sem.getCnt())
        def forever():
            while True:
                utime.sleep(1)
        tid = _thread.start_new_thread(forever, ())
        utime.sleep(0.1)
        print(type(tid).__name__, _thread.threadIsRunning(tid))
        _thread.stop_thread(tid)
        utime.sleep(0.1)
        print(_thread.threadIsRunning(tid))
        print(_thread.stack_size(), _thread.get_heap_size() > 0, _thread.get_ident() != tid)
        try:
            _thread.start_new_thread(forever, [])
        except TypeError:
            print("tuple")
        """)
    assert out.splitlines() == [
        "True True False False",
        "unlocked",
        "(2, 1)",
        "int True",
        "False",
        "8448 True True",
        "tuple",
    ]


def test_an_exception_in_a_thread_is_printed_and_the_script_goes_on(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        import _thread, utime
        def bad():
            raise ValueError("in thread")
        _thread.start_new_thread(bad, ())
        utime.sleep(1)
        print("main goes on")
        """)
    assert result.status == 0
    assert out == "main goes on\n"
    assert "Unhandled exception in thread started by <function bad" in err
    assert "ValueError: in thread" in err


def test_sys_bus_publish_runs_subscribers_in_threads(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import sys_bus, utime, _thread
        me = _thread.get_ident()
        got = []
        def sub(topic, msg):
            got.append((topic, msg, _thread.get_ident() != me))
        sys_bus.subscribe("t", sub)
        sys_bus.publish("t", 1)
        sys_bus.publish_sync("t", 2)
        utime.sleep(0.1)
        print(sorted(got), sys_bus.sub_table("t") == [sub], sys_bus.unsubscribe("t", sub), sys_bus.unsubscribe("t"))
        """)
    assert out == "[('t', 1, True), ('t', 2, False)] True True False\n"


def test_a_background_thread_keeps_the_module_running_after_main(tmp_path, capsys):
    result, out, err, dev = run_device(tmp_path, capsys, """
        import _thread, utime
        def later():
            utime.sleep(60)
            print("thread done at", utime.ticks_ms() // 1000)
        _thread.start_new_thread(later, ())
        print("main done")
        """)
    assert result.status == 0
    assert out.splitlines() == ["main done", "thread done at 60"]


def test_a_running_ostimer_keeps_the_module_busy_until_the_time_limit(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        import osTimer
        n = [0]
        def tick(t):
            n[0] += 1
            print("tick", n[0])
        osTimer().start(1000, 1, tick)
        """, timeout=3.5)
    assert result.status == 3
    assert out.splitlines() == ["tick 1", "tick 2", "tick 3"]


# ---------------------------------------------------------------- uos, usys and the rest


def test_uos_identity_and_files(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import uos
        u = uos.uname()
        print(u[0], u[1], u[1].split("=", 1)[1])
        print(uos.uname2().nodename, uos.getcwd())
        with open("/usr/data.json", "w") as f:
            f.write('{"a": 1}')
        print(sorted(uos.listdir("/usr")), uos.listdir("/"))
        print(uos.stat("/usr/data.json")[0] == 0x8000, uos.stat("/usr/data.json")[6])
        uos.mkdir("/usr/d")
        uos.rename("/usr/data.json", "/usr/d/x.json")
        with open("/usr/d/x.json") as f:
            print(f.read(), [e[0] for e in uos.ilistdir("/usr/d")])
        uos.remove("d/x.json")
        uos.rmdir("/usr/d")
        print(sorted(uos.listdir()), len(uos.statvfs("/usr")), len(uos.urandom(4)))
        """)
    lines = out.splitlines()
    assert lines[0] == "sysname=EC600U-CNLB nodename=EC600U EC600U"
    assert lines[1] == "EC600U /usr"
    assert lines[2] == "['data.json', 'main.py'] ['usr']"
    assert lines[3] == "True 8"
    assert lines[4] == '{"a": 1} [\'x.json\']'
    assert lines[5] == "['main.py'] 10 4"


@pytest.mark.parametrize("path", ["/etc/passwd", "/usr/../etc/passwd", "../../../../etc/passwd",
                                  "/usr/../../etc/passwd", "/bak/x", "/usr/link_out/passwd"])
def test_the_sandbox_refuses_every_escape_with_enoent(tmp_path, capsys, path):
    (tmp_path / "link_out").symlink_to("/etc")
    out = out_of(tmp_path, capsys, f"""
        import uos
        for call in (lambda: open({path!r}), lambda: uos.stat({path!r}), lambda: uos.remove({path!r}),
                     lambda: open({path!r}, "w")):
            try:
                call()
                print("reached")
            except OSError as e:
                print(e.args[0])
        """)
    assert out.split() == ["2", "2", "2", "2"]


def test_imports_and_builtins_stay_inside_the_folder(tmp_path, capsys):
    # A .py file outside the folder, reached by an absolute or relative module
    # name, through a symlink, or by a hard link; and CPython's real open().
    outside = tmp_path.parent / f"{tmp_path.name}_outside.py"
    outside.write_text("print('OUTSIDE RAN')\n")
    (tmp_path / "linked.py").symlink_to(outside)
    (tmp_path / "passwd_copy.txt").hardlink_to(outside)
    (tmp_path / "pkg_out").symlink_to(tmp_path.parent)
    out = out_of(tmp_path, capsys, f"""
        import builtins
        print(builtins.open is open, builtins.__import__ is __import__)
        for name in ({str(outside.with_suffix(""))!r}, "../{outside.stem}", "linked",
                     "pkg_out.{outside.stem}", "importlib", "a b", "usr.linked"):
            try:
                __import__(name)
                print("imported", name)
            except ImportError as e:
                print("ImportError")
        for call in (lambda: builtins.open({str(outside)!r}), lambda: open("passwd_copy.txt"),
                     lambda: exec(open("linked.py").read())):
            try:
                call()
                print("reached")
            except OSError as e:
                print(e.args[0])
        """)
    assert out.split() == ["True", "True"] + ["ImportError"] * 7 + ["2", "2", "2"]


def test_a_source_file_that_is_not_utf8_is_named_with_its_line(tmp_path, capsys):
    (tmp_path / "gbk_mod.py").write_bytes("x = 1\nprint('你好')\n".encode("gbk"))
    result, out, err, _ = run_device(tmp_path, capsys, """
        try:
            import gbk_mod
        except SyntaxError as e:
            print("SyntaxError", e.lineno, "not UTF-8" in e.msg)
        """)
    assert out.split() == ["SyntaxError", "2", "True"]
    (tmp_path / "main.py").write_bytes("print('你好')\n".encode("gbk"))
    result = qpysim.Device(fs=str(tmp_path), clock="virtual").run(str(tmp_path / "main.py"))
    err = capsys.readouterr().err
    assert result.status == 1
    assert f'File "{tmp_path / "main.py"}", line 1' in err
    assert "not UTF-8: byte 0xc4 at column 8" in err
    assert "UnicodeDecodeError" not in err


def test_dot_dot_above_usr_is_the_device_root(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import uos
        print(uos.listdir("/usr/../.."), uos.stat("/")[0] == 0x4000)
        uos.chdir("/")
        print(uos.getcwd(), uos.listdir())
        """)
    assert out.splitlines() == ["['usr'] True", "/ ['usr']"]


def test_the_sandbox_never_writes_outside_the_folder(tmp_path, capsys):
    victim = tmp_path.parent / "outside.txt"
    out_of(tmp_path, capsys, """
        for p in ("/usr/../outside.txt", "../outside.txt"):
            try:
                open(p, "w").write("x")
            except OSError:
                pass
        """)
    assert not victim.exists()


def test_json_binascii_struct_hashlib_and_friends(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import ujson, ubinascii, ustruct, uhashlib, ucollections, uerrno, uio, ure, uzlib, urandom
        import json, struct, binascii, errno
        print(ujson.dumps({"a": [1, 2]}), ujson.loads(b'{"b": 2}'), json is ujson)
        print(ubinascii.hexlify(b"\\x01\\xff"), ubinascii.hexlify(b"ab", ":"), ubinascii.b2a_base64(b"hi"))
        print(ustruct.pack("<HI", 1, 2), ustruct.unpack(">H", b"\\x00\\x05"), ustruct.calcsize("<I"))
        h = uhashlib.sha256(b"abc")
        print(ubinascii.hexlify(h.digest())[:16], hasattr(h, "hexdigest"))
        print(uerrno.ETIMEDOUT, uerrno.errorcode[104], errno is uerrno)
        print(uio.BytesIO(b"xy").read(), ure.match(r"(\\d+)", "42a").group(1))
        print(uzlib.decompress(bytes.fromhex("789ccb48cdc9c90700062c0215")))
        print(0 <= urandom.getrandbits(8) < 256, urandom.randint(3, 3))
        """)
    assert out.splitlines() == [
        '{"a": [1, 2]} {\'b\': 2} True',
        "b'01ff' b'61:62' b'aGk=\\n'",
        "b'\\x01\\x00\\x02\\x00\\x00\\x00' (5,) 4",
        "b'ba7816bf8f01cfea' False",       # uhashlib has digest() only, as on the device
        "110 ECONNRESET True",
        "b'xy' 42",
        "b'hello'",
        "True 3",
    ]


def test_usys_gc_and_micropython(tmp_path, capsys):
    out = out_of(tmp_path, capsys, """
        import usys, gc, micropython, sys
        X = micropython.const(3)
        print(X, sys is usys, usys.implementation.name, usys.maxsize)
        print(gc.mem_free() > 0, gc.mem_alloc() > 0, gc.mem_free() + gc.mem_alloc())
        try:
            raise ValueError("shown")
        except ValueError as e:
            usys.print_exception(e)
        """)
    lines = out.splitlines()
    assert lines[0] == "3 True micropython 2147483647"
    assert lines[1] == "True True 1048576"
    assert lines[-1] == "ValueError: shown"
    assert lines[2] == "Traceback (most recent call last):"


def test_urandom_repeats_from_the_seed(tmp_path, capsys):
    src = "import urandom\nprint([urandom.getrandbits(16) for _ in range(4)])\n"
    a = out_of(tmp_path, capsys, src, seed=7)
    b = out_of(tmp_path, capsys, src, seed=7)
    c = out_of(tmp_path, capsys, src, seed=8)
    assert a == b != c


def test_uselect_poll_on_device_sockets(tmp_path, capsys, server):
    import conftest
    srv = server(conftest.upper_echo)
    out = out_of(tmp_path, capsys, f"""
        import usocket, uselect, select
        s = usocket.socket()
        s.connect(("127.0.0.1", {srv.port}))
        p = uselect.poll()
        p.register(s, uselect.POLLIN)
        print(p.poll(100))
        s.send(b"hi")
        ready = p.poll(5000)
        print(ready[0][0] is s, ready[0][1])
        print(s.recv(10))
        p.modify(s, uselect.POLLOUT)
        print(p.poll(0)[0][1])
        fresh = usocket.socket()
        q = select.poll()
        q.register(fresh)
        print(q.poll(0)[0][1])
        try:
            q.modify(s, 1)
        except OSError as e:
            print(e.args[0])
        r, w, x = uselect.select([s], [s], [], 0)
        print(len(r), len(w))
        """, clock="real", dialect="quecpython-2021")  # the 2023+ firmware has no uselect
    assert out.splitlines() == ["[]", "True 1", "b'HI'", "4", "20", "2", "0 1"]


def test_import_log_does_not_touch_the_hosts_logging(tmp_path, capsys):
    import logging
    import sys
    before = set(sys.modules)
    out_of(tmp_path, capsys, "import log, utime, gc, socket, time, os, json\nlog.getLogger('x').info('hi')\n")
    added = set(sys.modules) - before
    assert not added & {"log", "utime", "gc", "usocket", "checkNet", "dataCall"}
    assert sys.modules["logging"] is logging
    import time, os, json, socket  # noqa: E401 - the host's own modules still work
    assert hasattr(time, "monotonic") and hasattr(os, "getpid") and hasattr(socket, "create_connection")
    assert json.dumps([1]) == "[1]"
