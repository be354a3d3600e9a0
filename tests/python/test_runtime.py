"""The device runtime (qpysim._runtime): source rules, device imports, running."""

import sys
import textwrap

import pytest

import qpysim
from qpysim import micropython_source


# ---------------------------------------------------------------- MicroPython source rules


def test_tabs_in_indentation_advance_to_the_next_multiple_of_8():
    assert micropython_source("if a:\n\tb\n") == "if a:\n        b\n"
    assert micropython_source("if a:\n    \tb\n") == "if a:\n        b\n"
    assert micropython_source("if a:\n  \t  b\n") == "if a:\n          b\n"


def test_tabs_inside_strings_and_after_code_are_kept():
    src = 's = """\n\tkeep\n"""\nx = 1\t# tab\n'
    assert micropython_source(src) == src
    assert micropython_source("t = 'a\\tb'\n") == "t = 'a\\tb'\n"


def test_source_without_tabs_is_returned_as_is():
    src = "print(1)\n"
    assert micropython_source(src) is src


def test_bytes_formatting_is_micropythons_in_device_code_and_modules(run, capsys):
    # py/objstr.c: bytes % takes str and any object (a bytes operand of %s goes in
    # undecorated), and bytes share str's format(); CPython raises TypeError/
    # AttributeError for both. A /usr module gets the same rules as the script.
    r = run("""
        import helper
        name = "温度"
        print(b"GET /%s HTTP/1.0\\r\\n" % "path")
        print(b"%s=%d %s %r" % (name, 5, b"raw", b"r"), b"%(a)s" % {"a": b"x"})
        print(b"{} {}".format(1, "x"), b"{}".format(b"y"), helper.line(3))
        n, fmt = 17, "%d%%"
        print(n % 5, fmt % 50, "{}".format(3), 7.5 % 2)
        """, files={"helper.py": "def line(n):\n    return b'n=%s' % n\n"})
    assert r.status == 0, capsys.readouterr().err
    assert capsys.readouterr().out.splitlines() == [
        "b'GET /path HTTP/1.0\\r\\n'",
        "b\"\\xe6\\xb8\\xa9\\xe5\\xba\\xa6=5 raw b'r'\" b'x'",
        "b'1 x' b\"b'y'\" b'n=3'",
        "2 50% 3 1.5",
    ]
    with pytest.raises(TypeError):
        b"%s" % "str"  # the PC's own code keeps CPython's rules


# ---------------------------------------------------------------- device imports


@pytest.fixture
def run(tmp_path):
    """run(main_source, files={name: source}) -> (RunResult, stdout text)."""
    def go(main, files=None, capsys=None, **kw):
        for name, text in (files or {}).items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text))
        script = tmp_path / "main.py"
        script.write_text(textwrap.dedent(main))
        return qpysim.Device().run(str(script), **kw)
    return go


def test_device_socket_is_usocket_and_the_hosts_socket_is_untouched(run, capsys):
    host_socket = sys.modules["socket"]
    r = run("""
        import socket, usocket
        print(socket is usocket, socket.IPPROTO_TCP_SER)
        """)
    assert r.status == 0
    assert capsys.readouterr().out == "True 7\n"
    assert sys.modules["socket"] is host_socket
    assert "usocket" not in sys.modules


def test_modules_not_on_the_device_do_not_import(run, capsys):
    r = run("import requests\n")
    assert r.status == 1
    assert "ImportError: no module named 'requests'" in capsys.readouterr().err


@pytest.mark.parametrize("dialect", ["quecpython", "micropython"])
def test_import_main_gives_the_running_scripts_globals(tmp_path, capsys, dialect):
    # MicroPython's built-in __main__ module is the script's globals (py/runtime.c),
    # which unittest.main() reads its tests from.
    (tmp_path / "helper.py").write_text("def seen():\n    import __main__\n    return __main__.MARK\n"
                                        "def main():\n    return __import__('__main__')\n")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        MARK = 7
        import __main__
        import helper
        print(__main__.__name__, __main__.MARK, helper.seen(), __main__ is helper.main())
        """))
    r = qpysim.Device(dialect=dialect, clock="virtual").run(str(tmp_path / "main.py"))
    assert r.status == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "__main__ 7 7 True\n"


def test_usr_packages_and_plain_names_import_from_the_device_folder(run, capsys):
    r = run("""
        import usr.helper
        from usr.pkg import mod
        import helper
        print(usr.helper.VALUE, mod.NAME, helper.VALUE, usr.helper.__file__)
        """, files={"helper.py": "VALUE = 42\n", "pkg/__init__.py": "",
                    "pkg/mod.py": "from usr.helper import VALUE\nNAME = 'm%d' % VALUE\n"})
    assert r.status == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "42 m42 42 /usr/helper.py\n"


def test_device_files_follow_micropython_tab_rules_too(run, capsys):
    r = run("import usr.tabbed\nprint(usr.tabbed.f())\n",
            files={"tabbed.py": "def f():\n    if True:\n        a = 1\n    \treturn a\n"})
    assert r.status == 0, capsys.readouterr().err
    assert capsys.readouterr().out == "1\n"


def test_oserror_in_device_code_is_the_device_oserror(run, capsys):
    r = run("""
        try:
            raise OSError(110)
        except OSError as e:
            print(str(e), e.args)
        """)
    assert r.status == 0
    assert capsys.readouterr().out == "[Errno 110] ETIMEDOUT (110,)\n"


def test_script_file_is_named_as_on_the_device(run, capsys):
    r = run("print(__file__, __name__)\n")
    assert capsys.readouterr().out == "/usr/main.py __main__\n"


def test_syntax_errors_end_the_run_with_1(run, capsys):
    r = run("def broken(:\n")
    assert r.status == 1
    assert "SyntaxError" in capsys.readouterr().err


def test_system_exit_zero_is_a_clean_end(run):
    assert run("raise SystemExit\n").status == 0
    assert run("raise SystemExit(3)\n").status == 1


def test_device_modules_need_a_device():
    with pytest.raises(RuntimeError, match="loaded by a Device"):
        qpysim._runtime.current_device()


def test_unknown_device_module_names_are_import_errors():
    with pytest.raises(ImportError, match="no module named 'nope' on EC600U"):
        qpysim.Device().module("nope")
