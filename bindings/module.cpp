// qpysim._core: the emulator core as a Python extension. Only wiring here; each
// component binds itself in bind_<component>.cpp.
#include "common.hpp"

PYBIND11_MODULE(_core, m, pybind11::mod_gil_not_used()) {
    using namespace qpysim::py_bindings;
    m.doc() = "qpysim's C++ core: the emulated cellular module and its socket stack";
    bind_errors(m);
    bind_profile(m);
    bind_modem(m);
    bind_faults(m);
    bind_services(m);
    bind_socket(m);
    bind_cellular(m);
    bind_sync(m);
    bind_spin(m);
    bind_cli(m);
}
