"""qpysim.Modem (bind_modem.cpp): construction, scenarios, halting, traces."""

import json
import threading
import time

import pytest

import qpysim


def test_defaults_are_an_ec600u_on_quecpython_in_real_time():
    m = qpysim.Modem()
    assert (m.profile.model, m.dialect.name, m.clock, m.seed) == ("EC600U", "quecpython", "real", 1)
    ip = m.device_ip()
    assert ip.startswith("10.")
    m.halt("done")


def test_the_device_address_follows_the_seed():
    a, b, c = qpysim.Modem(seed=5), qpysim.Modem(seed=5), qpysim.Modem(seed=6)
    assert a.device_ip() == b.device_ip()
    assert a.device_ip() != c.device_ip()


def test_virtual_time_cannot_use_the_host_network():
    with pytest.raises(ValueError, match="virtual time cannot reach the host network"):
        qpysim.Modem(clock="virtual", host_network=True)
    m = qpysim.Modem(clock="virtual")  # no host network by default in virtual time
    assert m.clock == "virtual"


def test_unknown_names_are_value_errors_listing_the_choices():
    with pytest.raises(ValueError, match="unknown module 'EC999'.*EC600U"):
        qpysim.Modem(module="EC999")
    with pytest.raises(ValueError, match="unknown dialect"):
        qpysim.Modem(dialect="cpython")
    with pytest.raises(ValueError, match="clock must be 'real' or 'virtual'"):
        qpysim.Modem(clock="fast")


def test_dns_must_be_a_dict_of_addresses():
    with pytest.raises(TypeError):
        qpysim.Modem(dns=["a"])
    with pytest.raises(ValueError, match="'a.example': 'nope' is not an IPv4 or IPv6 address"):
        qpysim.Modem(dns={"a.example": "nope"})


def test_scenario_file_then_explicit_arguments_override(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("module: EC200A\nseed: 9\ndns:\n  x.example: 10.9.9.9\n")
    m = qpysim.Modem(scenario=str(f))
    assert (m.profile.model, m.seed) == ("EC200A", 9)
    assert m.getaddrinfo("x.example", 1) == [(False, "10.9.9.9", 1)]
    m2 = qpysim.Modem(scenario=str(f), seed=3, module="BG95")
    assert (m2.profile.model, m2.seed) == ("BG95", 3)


def test_malformed_scenario_names_file_line_and_column(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: bad\ndns:\n  x.example: [10.0.0.1, banana]\n")
    with pytest.raises(ValueError) as e:
        qpysim.Modem(scenario=str(f))
    assert str(e.value) == (f"{f}:3:25: dns: 'x.example': expected an IPv4 or IPv6 address, "
                            "got 'banana'")


def test_missing_scenario_file_is_named():
    with pytest.raises(ValueError, match="/no/such.yaml: cannot open the scenario file"):
        qpysim.Modem(scenario="/no/such.yaml")


def test_trace_file_gets_json_lines(tmp_path):
    path = tmp_path / "t.jsonl"
    m = qpysim.Modem(trace=str(path))
    dev = qpysim.Device(m)
    us = dev.module("usocket")
    us.socket().close()
    m.halt("done")
    del dev, us, m
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["ev"] == "power_on"
    assert lines[0]["module"] == "EC600U"
    assert [line["ev"] for line in lines[1:3]] == ["socket", "close"]


def test_unwritable_trace_path_is_a_value_error():
    with pytest.raises(ValueError, match="cannot write trace file"):
        qpysim.Modem(trace="/nonexistent/dir/t.jsonl")


def test_halt_wakes_a_blocked_device_call_with_device_halt():
    m = qpysim.Modem()
    us = qpysim.Device(m).module("usocket")
    s = us.socket(us.AF_INET, us.SOCK_DGRAM)
    s.bind(("", 0))
    caught = []

    def block():
        try:
            s.recv(10)
        except qpysim.DeviceHalt as e:
            caught.append(str(e))

    t = threading.Thread(target=block)
    t.start()
    time.sleep(0.1)
    m.halt("powered off")
    t.join(5)
    assert caught == ["powered off"]
    assert m.halted() and m.halt_reason() == "powered off"
    with pytest.raises(qpysim.DeviceHalt):
        us.socket()


def test_halt_after_stops_at_a_device_time():
    m = qpysim.Modem()
    m.halt_after(0.2, "time is up")
    t0 = m.now()
    with pytest.raises(qpysim.DeviceHalt, match="time is up"):
        m.sleep(10)
    assert m.now() - t0 >= 0.2


def test_sleep_rejects_non_numbers():
    m = qpysim.Modem()
    with pytest.raises(TypeError):
        m.sleep("1")
    with pytest.raises(ValueError):
        m.sleep(-1)


def test_nothing_is_exposed_until_a_device_server_listens():
    m = qpysim.Modem()
    assert m.exposed_port(8080) == 0
    assert m.open_sockets() == 0
