"""ntptime, queue, ql_fs and ujson as a device script sees them (virtual time)."""

import json
import textwrap

from device_run import run_device

NTP = """
hosts:
  ntp.aliyun.com:
    123/udp: ntp
  wrong.example.com:
    123/udp: {ntp: {offset: 3600}}
  pool.ntp.org:
    123/udp: ntp
"""


def run(tmp_path, capsys, source, scenario=NTP, **kw):
    (tmp_path / "s.yaml").write_text(scenario)
    result, out, err, dev = run_device(tmp_path, capsys, textwrap.dedent(source),
                                       scenario=str(tmp_path / "s.yaml"), clock=None,
                                       timeout=3600, **kw)
    assert result.status == 0, (result, err)
    return out.splitlines(), dev


# 2026-01-01 00:00:00 +08:00, the network's time at power-on in virtual time.
START = 1767196800


def test_ntptime_reads_the_network_time_and_sets_the_rtc_in_a_zone(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, """
        import ntptime, utime
        print(ntptime.host, ntptime.time())
        print(ntptime.settime(0), utime.localtime()[:5])
        print(ntptime.settime(8), utime.localtime()[:5], utime.time())
        print(ntptime.settime(13), ntptime.sethost(None))
        print(ntptime.sethost("wrong.example.com"), ntptime.time())
        """)
    assert lines == [
        f"ntp.aliyun.com {START - 946684800}",
        "0 (2025, 12, 31, 16, 0)",
        f"0 (2026, 1, 1, 0, 0) {START}",
        "-1 -1",
        f"0 {START - 946684800 + 3600}",
    ]


def test_ntptime_falls_back_to_other_hosts_and_then_gives_up(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, """
        import ntptime, utime
        ntptime.sethost("gone.example.com")
        print(ntptime.time(), ntptime.host)  # gone, then pool.ntp.org answers
        ntptime.sethost("gone.example.com")
        ntptime.r_host = ["a.example.com", "b.example.com"]
        t = utime.ticks_ms()
        try:
            ntptime.time()
        except OSError as e:
            print(e, ntptime.host, utime.ticks_diff(utime.ticks_ms(), t) // 1000)
        """)
    # The lookup of the gone host times out (20 s), then pool.ntp.org answers.
    assert lines == [f"{START - 946684800 + 20} pool.ntp.org",
                     "Server connection failed! b.example.com 40"]


def test_micropython_ntptime_counts_from_1970_and_sets_utc(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, """
        import ntptime, time
        print(ntptime.host, ntptime.timeout, ntptime.time())
        ntptime.settime()
        print(time.time())
        """, dialect="micropython")
    assert lines == [f"pool.ntp.org 1 {START}", f"{START}"]


def test_queue_hands_items_between_threads_in_device_time(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, """
        import _thread, utime
        from queue import Queue
        q = Queue(2)
        print(q.empty(), q.put(1), q.put(2), q.put(3), q.put(4), q.size())
        print(q.get(), q.get(), q.get(), q.empty())
        def later():
            utime.sleep(30)
            q.put("late")
        _thread.start_new_thread(later, ())
        t = utime.ticks_ms()
        print(q.get(), utime.ticks_diff(utime.ticks_ms(), t))
        """)
    assert lines == ["True True True True False 3", "1 2 3 True", "late 30000"]


def test_ql_fs_files_and_folders_stay_in_usr(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, """
        import ql_fs, uos
        print(ql_fs.write_json("/usr/conf/net/server.json", {"host": "h", "port": 1883}))
        print(ql_fs.read_json("/usr/conf/net/server.json"), ql_fs.read_json("/usr/none.json"))
        print(ql_fs.path_exists("/usr/conf/net"), ql_fs.path_exists(""))
        print(ql_fs.file_copy("/usr/copy.json", "/usr/conf/net/server.json"),
              ql_fs.file_copy("/usr/x", "/usr/missing"))
        print(ql_fs.path_getsize("/usr/copy.json"), ql_fs.path_dirname("/usr/conf/net/a.json"))
        try:
            ql_fs.path_getsize("/usr/missing")
        except ql_fs.FileNotFoundError as e:
            print(e)
        ql_fs.mkdirs("/usr/a/b/c")
        print(uos.listdir("/usr/a/b"))
        ql_fs.rmdirs("/usr/a")
        print(ql_fs.path_exists("/usr/a"))
        print(ql_fs.touch("/usr/log/x.txt", "plain", file_type="text"))
        try:
            ql_fs.write_json("/etc/passwd", {})
        except OSError as e:
            print(e)  # the folder is made outside the try, as on the firmware
        """, scenario="hosts: {}\n")
    assert lines == [
        "0",
        "{'host': 'h', 'port': 1883} None",
        "True False",
        "True False",
        "27 /usr/conf/net",
        "\"can not find: '/usr/missing'\"",
        "['c']",
        "False",
        "0",
        "[Errno 2] ENOENT",
    ]
    assert json.loads((tmp_path / "conf" / "net" / "server.json").read_text()) == {
        "host": "h", "port": 1883}
    assert (tmp_path / "log" / "x.txt").read_text() == "plain"


def test_ujson_prints_as_the_firmware_and_raises_its_error(tmp_path, capsys):
    lines, _ = run(tmp_path, capsys, r"""
        import ujson
        print(ujson.dumps({"name": "温度", 1: b"raw", "c": "q\"b\\n\n\x01\x08"}))
        print(ujson.dumps([0.1 + 0.2, 3.0, 1e22, True, None, (1, 2)]))
        print(ujson.dumps({"a": [1, 2]}, separators=(",", ":")))
        for text in ("{", b"[1,", "nope"):
            try:
                ujson.loads(text)
            except ValueError as e:
                print(e)
        print(ujson.loads('{"t": "温度"}'.encode()), ujson.loads(bytearray(b"[1]")))
        """)
    # py/objstr.c:133-155 (UTF-8 kept, \u00xx for other control characters),
    # py/objdict.c:97 (other keys quoted), py/objfloat.c (%.16g, ".0" added).
    assert lines == [
        '{"name": "温度", "1": "raw", "c": "q\\"b\\\\n\\n\\u0001\\u0008"}',
        "[0.3, 3.0, 1e+22, true, null, [1, 2]]",
        '{"a":[1,2]}',
        "syntax error in JSON", "syntax error in JSON", "syntax error in JSON",
        "{'t': '温度'} [1]",
    ]


def test_device_files_are_utf8_with_lines_ending_as_written(tmp_path, capsys):
    # On the module a text file is UTF-8 and "\n" is not translated, whatever the
    # PC's locale or platform (a Chinese Windows would write cp936 and "\r\n").
    lines, _ = run(tmp_path, capsys, """
        import ql_fs
        ql_fs.write_json("/usr/c.json", {"城市": "上海"})
        print(ql_fs.read_json("/usr/c.json"))
        with open("/usr/t.txt", "w") as f:
            f.write("温度\\r\\nb\\n")
        with open("/usr/t.txt") as f:
            print(f.readlines())
        """)
    assert lines == ["{'城市': '上海'}", "['温度\\r\\n', 'b\\n']"]
    assert (tmp_path / "c.json").read_bytes() == '{"城市": "上海"}'.encode()
    assert (tmp_path / "t.txt").read_bytes() == "温度\r\nb\n".encode()
