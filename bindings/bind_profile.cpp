#include "common.hpp"
#include "qpysim/profile.hpp"

namespace qpysim::py_bindings {

void bind_profile(py::module_& m) {
    py::class_<Dialect>(m, "Dialect", "A firmware generation or port: what its usocket looks like.")
        .def_readonly("name", &Dialect::name)
        .def_readonly("summary", &Dialect::summary)
        .def_readonly("evidence", &Dialect::evidence)
        .def_property_readonly("constants",
                               [](const Dialect& d) {
                                   py::list out;
                                   for (const auto& [k, v] : d.constants)
                                       out.append(py::make_tuple(k, v));
                                   return out;
                               })
        .def_property_readonly(
            "accept_returns_address_tuple",
            [](const Dialect& d) { return d.accept_shape == AcceptShape::conn_address; })
        .def_readonly("getaddrinfo_empty_on_failure", &Dialect::getaddrinfo_empty_on_failure)
        .def_readonly("getaddrinfo_filters", &Dialect::getaddrinfo_filters)
        .def_readonly("canonname_is_host", &Dialect::canonname_is_host)
        .def_readonly("dns_fail_code", &Dialect::dns_fail_code)
        .def_readonly("listen_requires_backlog", &Dialect::listen_requires_backlog)
        .def_readonly("stream_none_when_would_block", &Dialect::stream_none_when_would_block)
        .def_readonly("makefile_is_file", &Dialect::makefile_is_file)
        .def_readonly("has_inet_ntop", &Dialect::has_inet_ntop)
        .def_readonly("has_getsockopt", &Dialect::has_getsockopt)
        .def_readonly("recv_flags", &Dialect::recv_flags)
        .def_readonly("setsockopt_strict", &Dialect::setsockopt_strict)
        .def_readonly("has_getsocketsta", &Dialect::has_getsocketsta)
        .def_readonly("coarse_socket_state", &Dialect::coarse_socket_state)
        .def_readonly("quectel_modules", &Dialect::quectel_modules)
        .def_readonly("has_select", &Dialect::has_select)
        .def_readonly("has_time_ns", &Dialect::has_time_ns)
        .def_readonly("ticks_add_checks_range", &Dialect::ticks_add_checks_range)
        .def("__repr__", [](const Dialect& d) { return "<Dialect " + d.name + ">"; });

    py::class_<ModuleProfile>(m, "ModuleProfile", "One module model: limits, numbering, identity.")
        .def_readonly("model", &ModuleProfile::model)
        .def_readonly("summary", &ModuleProfile::summary)
        .def_readonly("family", &ModuleProfile::family)
        .def_readonly("platform", &ModuleProfile::platform)
        .def_readonly("socket_limit", &ModuleProfile::socket_limit)
        .def_readonly("fd_base", &ModuleProfile::fd_base)
        .def_readonly("af_inet6", &ModuleProfile::af_inet6)
        .def_readonly("sol_socket", &ModuleProfile::sol_socket)
        .def_readonly("has_getsocketsta", &ModuleProfile::has_getsocketsta)
        .def_readonly("sndbuf", &ModuleProfile::sndbuf)
        .def_readonly("rcvbuf", &ModuleProfile::rcvbuf)
        .def_readonly("rat", &ModuleProfile::rat)
        .def_readonly("firmware", &ModuleProfile::firmware)
        .def_readonly("product_id", &ModuleProfile::product_id)
        .def_readonly("sysname", &ModuleProfile::sysname)
        .def_readonly("default_apn", &ModuleProfile::default_apn)
        .def("__repr__", [](const ModuleProfile& p) { return "<ModuleProfile " + p.model + ">"; });

    m.def("dialects", &all_dialects, py::return_value_policy::reference,
          "Every dialect, in listing order.");
    m.def("modules", &all_modules, py::return_value_policy::reference,
          "Every module model, in listing order.");
    m.def(
        "errno_table",
        [](const std::string& dialect, const std::string& module) {
            const ErrnoTable t = make_errno_table(find_dialect(dialect), find_module(module));
            py::dict out;
            for (std::size_t i = 0; i < kErrcCount; ++i) {
                const auto e = static_cast<errc>(i);
                out[py::str(to_string(e))] = py::make_tuple(t[e].number, t[e].name);
            }
            return out;
        },
        py::arg("dialect"), py::arg("module"),
        "core error name -> (errno, name) as the dialect on that module raises it");
}

}  // namespace qpysim::py_bindings
