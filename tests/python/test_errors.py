"""How errors reach a device script (bind_errors.cpp, qpysim._oserror)."""

import pytest

import qpysim
from qpysim._oserror import OSError as DeviceOSError


def test_device_halt_is_not_an_exception_a_script_would_swallow():
    assert issubclass(qpysim.DeviceHalt, BaseException)
    assert not issubclass(qpysim.DeviceHalt, Exception)


def test_device_oserror_prints_as_micropython():
    assert str(DeviceOSError(110)) == "[Errno 110] ETIMEDOUT"
    assert DeviceOSError(110).args == (110,)
    assert DeviceOSError(110).errno == 110
    assert str(DeviceOSError(-202)) == "-202"
    assert str(DeviceOSError(110, "ETIMEDOUT")) == "[Errno 110] ETIMEDOUT"
    assert str(DeviceOSError("custom")) == "custom"
    assert type(DeviceOSError(1)).__name__ == "OSError"
    assert isinstance(DeviceOSError(1), OSError)


def test_core_errors_are_device_oserrors_with_errno_and_name():
    us = qpysim.Device().module("usocket")
    s = us.socket()
    s.close()
    with pytest.raises(OSError) as e:
        s.send(b"x")
    assert isinstance(e.value, DeviceOSError)
    assert e.value.args == (9, "EBADF")
    assert e.value.errno == 9
    assert repr(e.value) == "OSError(9, 'EBADF')"
