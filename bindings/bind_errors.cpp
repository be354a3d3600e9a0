#include <cmath>

#include "common.hpp"

namespace qpysim::py_bindings {

namespace {

// The device's OSError class (qpysim._oserror.OSError), registered at import.
py::object& device_oserror() {
    static py::object* cls = new py::object();  // leaked: must outlive interpreter teardown order
    return *cls;
}

}  // namespace

void raise_os_error(const ErrnoTable& table, errc code) {
    const ErrnoEntry& e = table[code];
    py::handle cls = device_oserror() ? device_oserror() : py::handle(PyExc_OSError);
    // OSError(errno, "NAME"), or OSError(code) for the negative getaddrinfo
    // codes, which the firmware prints as the bare number.
    py::object exc = e.name.empty() ? cls(e.number) : cls(e.number, e.name);
    PyErr_SetObject(cls.ptr(), exc.ptr());
    throw py::error_already_set();
}

std::optional<Duration> to_timeout(const py::handle& value, const char* what) {
    if (value.is_none()) return std::nullopt;
    if (!PyFloat_Check(value.ptr()) && !PyLong_Check(value.ptr())) {
        throw py::type_error(std::string(what) + " must be a number of seconds or None, not " +
                             std::string(py::str(py::type::of(value).attr("__name__"))));
    }
    const double s = value.cast<double>();
    if (std::isnan(s) || s < 0) throw py::value_error(std::string(what) + " must be >= 0 or None");
    if (s > 1e9) return Duration::max() / 4;  // effectively forever, without overflow
    return from_seconds(s);
}

namespace {

std::string type_name(const py::handle& value) {
    return py::str(py::type::of(value).attr("__name__"));
}

void need_int(const py::handle& value, const char* what) {
    if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) {
        throw py::type_error(std::string(what) + " must be an int, not " + type_name(value));
    }
}

}  // namespace

long long arg_int(const py::handle& value, const char* what, long long lo, long long hi) {
    need_int(value, what);
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (overflow || v < lo || v > hi) {
        PyErr_Format(PyExc_OverflowError, "%s must be from %lld to %lld, got %S", what, lo, hi,
                     value.ptr());
        throw py::error_already_set();
    }
    return v;
}

unsigned long long arg_uint64(const py::handle& value, const char* what) {
    need_int(value, what);
    const unsigned long long v = PyLong_AsUnsignedLongLong(value.ptr());
    if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError, "%s must be from 0 to 18446744073709551615, got %S", what,
                     value.ptr());
        throw py::error_already_set();
    }
    return v;
}

std::string arg_str(const py::handle& value, const char* what) {
    if (!PyUnicode_Check(value.ptr())) {
        throw py::type_error(std::string(what) + " must be a str, not " + type_name(value));
    }
    return value.cast<std::string>();
}

bool arg_bool(const py::handle& value, const char* what) {
    if (!PyBool_Check(value.ptr()) && !PyLong_Check(value.ptr())) {
        throw py::type_error(std::string(what) + " must be a bool, not " + type_name(value));
    }
    return PyObject_IsTrue(value.ptr()) == 1;
}

BytesView::BytesView(const py::handle& obj, const char* what) {
    if (PyUnicode_Check(obj.ptr())) {
        Py_ssize_t size = 0;
        const char* utf8 = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
        if (!utf8) throw py::error_already_set();
        view_ = std::string_view(utf8, static_cast<std::size_t>(size));
        return;
    }
    if (!PyObject_CheckBuffer(obj.ptr())) {
        throw py::type_error(std::string(what) + ": object with buffer protocol required, not " +
                             std::string(py::str(py::type::of(obj).attr("__name__"))));
    }
    if (PyObject_GetBuffer(obj.ptr(), &buffer_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    has_buffer_ = true;
    view_ = std::string_view(static_cast<const char*>(buffer_.buf),
                             static_cast<std::size_t>(buffer_.len));
}

BytesView::~BytesView() {
    if (has_buffer_) PyBuffer_Release(&buffer_);
}

namespace {
// Raised in every device thread when the module halts (script ended, reset,
// time limit). A BaseException, so `except Exception:` in device code does
// not swallow it, as KeyboardInterrupt is not swallowed.
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> halted;
}  // namespace

void set_halted_error(const char* what) {
    py::set_error(halted.get_stored(), what);
}

void bind_errors(py::module_& m) {
    // The core raises the device's OSError (qpysim/_oserror.py), however the
    // package was imported.
    device_oserror() = py::module_::import("qpysim._oserror").attr("OSError");
    halted.call_once_and_store_result(
        [&m] { return py::exception<Halted>(m, "DeviceHalt", PyExc_BaseException); });
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Halted& e) {
            set_halted_error(e.what());
        } catch (const UsageError& e) {
            py::set_error(PyExc_ValueError, e.what());
        }
    });
}

}  // namespace qpysim::py_bindings
