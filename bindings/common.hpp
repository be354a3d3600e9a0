// What every bind_<component>.cpp shares: turning core errors into the Python
// exceptions a device script sees, and the handles that keep a Modem alive for
// as long as any Python object refers to it.
#pragma once

#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "qpysim/error.hpp"
#include "qpysim/modem.hpp"

namespace qpysim::py_bindings {

namespace py = pybind11;

// Raise OSError(errno, "NAME") (or OSError(code) for negative getaddrinfo
// codes, which the firmware prints bare), as the dialect numbers it.
[[noreturn]] void raise_os_error(const ErrnoTable& table, errc code);

// Set DeviceHalt(what) as the pending Python error (GIL held), for code that
// cannot throw through pybind11 (a trace function).
void set_halted_error(const char* what);

// The Python thread ident of a registered device thread (its core id), or 0.
unsigned long python_ident_of(std::thread::id id);
// Register / forget the calling thread as a device thread (GIL held).
void register_device_thread();
void forget_device_thread();

// Run f; a core Error becomes the dialect's OSError. f releases the GIL itself
// around the blocking part, so the exception is converted with the GIL held.
template <class F>
decltype(auto) guarded(Modem& modem, F&& f) {
    try {
        if (modem.sched().is_virtual()) {
            // Every call into the module costs device time (Modem::charge_call).
            py::gil_scoped_release nogil;
            modem.charge_call();
        }
        return std::forward<F>(f)();
    } catch (const Error& e) {
        raise_os_error(modem.errnos(), e.code_value());
    }
}

// Seconds (int, float or None) to a device duration. TypeError for other types,
// ValueError for negatives.
std::optional<Duration> to_timeout(const py::handle& value, const char* what);

// An argument from Python, checked and named in the error: TypeError for the
// wrong type, OverflowError for an int outside [lo, hi] (never pybind11's
// "Unable to cast ... to C++ type").
long long arg_int(const py::handle& value, const char* what, long long lo, long long hi);
unsigned long long arg_uint64(const py::handle& value, const char* what);
std::string arg_str(const py::handle& value, const char* what);
bool arg_bool(const py::handle& value, const char* what);

// A read-only view of a bytes-like object, or of a str as UTF-8 (the device
// accepts str where it wants bytes), without copying. Construct and destroy it
// with the GIL held; the view itself may be read with the GIL released, since
// the caller keeps the object alive for the whole call.
class BytesView {
  public:
    BytesView(const py::handle& obj, const char* what);
    ~BytesView();
    BytesView(const BytesView&) = delete;
    BytesView& operator=(const BytesView&) = delete;
    std::string_view view() const noexcept { return view_; }

  private:
    Py_buffer buffer_{};
    bool has_buffer_ = false;
    std::string_view view_;
};

void bind_errors(py::module_& m);
void bind_profile(py::module_& m);
void bind_modem(py::module_& m);
void bind_socket(py::module_& m);
void bind_cellular(py::module_& m);
void bind_sync(py::module_& m);
void bind_spin(py::module_& m);
void bind_cli(py::module_& m);
void bind_faults(py::module_& m);
void bind_services(py::module_& m);

}  // namespace qpysim::py_bindings
