"""atcmd.sendSync (device/atcmd.py): the AT commands apps read module state with,
answered from the module's own state, in the firmware's shapes and codes."""

from device_run import run_device


def test_state_queries_answer_from_the_module(tmp_path, capsys):
    result, out, err, dev = run_device(tmp_path, capsys, """
        import atcmd, modem, sim, checkNet
        checkNet.waitNetworkReady(30)

        def ask(cmd, include=''):
            resp = bytearray(120)
            code = atcmd.sendSync(cmd + '\\r\\n', resp, include, 5)
            return code, bytes(resp).split(b'\\x00')[0]

        print(ask('AT'))
        print(ask('AT+CSQ'))
        print(ask('AT+CEREG?'))
        code, text = ask('AT+CGSN')
        print(code, text == ('\\r\\n%s\\r\\n\\n' % modem.getDevImei()).encode())
        code, text = ask('AT+QCCID')
        print(code, sim.getIccid() in text.decode())
        print(ask('ATI', 'Revision')[1].startswith(b'\\r\\nRevision: '))
        print(ask('AT+QIACT?')[1].startswith(b'\\r\\n+QIACT: 1,1,1,"'))
        print(ask('AT+CFUN=0'), ask('AT+CFUN?'), ask('AT+CEREG?'))
        print(ask('AT+QGPS=1'), atcmd.sendSync('AT\\r\\n', bytearray(4), '', 0))
        short = bytearray(6)
        print(atcmd.sendSync('AT+CSQ\\r\\n', short, '', 5), short)
    """)
    assert result.status == 0, err
    lines = out.splitlines()
    assert lines[0] == "(0, b'')"
    assert lines[1].startswith("(0, b'\\r\\n+CSQ: ") and lines[1].endswith(",99\\r\\n\\n')")
    assert lines[2] == "(0, b'\\r\\n+CEREG: 0,1\\r\\n\\n')"
    assert lines[3:6] == ["0 True", "0 True", "True"]
    assert lines[6] == "True"
    assert lines[7] == ("(0, b'') (0, b'\\r\\n+CFUN: 0\\r\\n\\n') "
                        "(0, b'\\r\\n+CEREG: 0,0\\r\\n\\n')")
    assert lines[8] == "(1, b'') -1"
    assert lines[9].startswith("0 bytearray(b'\\r\\n+CSQ")


def test_a_coverage_loss_shows_in_cereg(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text("timeline:\n  - {at: 10s, for: 60s, fault: coverage_loss}\n")
    result, out, err, _ = run_device(tmp_path, capsys, """
        import atcmd, utime, checkNet
        checkNet.waitNetworkReady(30)
        resp = bytearray(40)
        atcmd.sendSync('AT+CEREG?\\r\\n', resp, '', 5)
        print(bytes(resp).split(b'\\x00')[0])
        utime.sleep(20)
        resp = bytearray(40)
        atcmd.sendSync('AT+CEREG?\\r\\n', resp, '', 5)
        print(bytes(resp).split(b'\\x00')[0])
    """, scenario=str(tmp_path / "s.yaml"))
    assert result.status == 0, err
    assert out.splitlines()[0] == "b'\\r\\n+CEREG: 0,1\\r\\n\\n'"
    assert out.splitlines()[1] == "b'\\r\\n+CEREG: 0,2\\r\\n\\n'"  # searching, as net.getState
