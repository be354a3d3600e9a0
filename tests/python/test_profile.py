"""Dialect and module tables (bind_profile.cpp)."""

import qpysim
from qpysim import _core


def test_every_dialect_and_module_is_listed_in_order():
    assert [d.name for d in qpysim.dialects()] == [
        "quecpython", "quecpython-2021", "quecpython-unirtos", "micropython", "rtthread", "esp32"]
    assert [m.model for m in qpysim.modules()] == [
        "EC600U", "EC200U", "EC600G", "EC200A", "EC600N", "EC800N", "EC600S", "BG95"]


def test_module_facts():
    by_name = {m.model: m for m in qpysim.modules()}
    assert (by_name["EC600U"].socket_limit, by_name["EC600U"].fd_base) == (15, 0)
    assert (by_name["EC200A"].socket_limit, by_name["EC200A"].fd_base) == (64, 3)
    assert (by_name["BG95"].socket_limit, by_name["BG95"].af_inet6) == (20, 3)
    assert not by_name["BG95"].has_getsocketsta


def test_dialect_shapes():
    by_name = {d.name: d for d in qpysim.dialects()}
    assert not by_name["quecpython"].accept_returns_address_tuple
    assert by_name["quecpython-2021"].accept_returns_address_tuple
    assert by_name["quecpython-2021"].getaddrinfo_empty_on_failure
    assert not by_name["micropython"].quectel_modules
    assert dict(by_name["esp32"].constants)["SO_REUSEADDR"] == 4
    assert all(d.evidence for d in qpysim.dialects())


def test_errno_table():
    t = _core.errno_table("quecpython", "EC600U")
    assert t["timed_out"] == (110, "ETIMEDOUT")
    assert t["conn_refused"] == (104, "ECONNRESET")
    assert t["dns_fail"] == (-202, "")
    assert _core.errno_table("micropython", "EC600U")["conn_refused"] == (111, "ECONNREFUSED")
    assert _core.errno_table("micropython", "EC600U")["dns_fail"] == (-2, "")
    assert _core.errno_table("esp32", "EC600U")["timed_out"] == (116, "ETIMEDOUT")
