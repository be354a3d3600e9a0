#include <algorithm>
#include <thread>

#include "common.hpp"
#include "handles.hpp"
#include "qpysim/log.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim::py_bindings {

namespace {

ClockMode parse_clock(const std::string& s) {
    if (s == "real") return ClockMode::real;
    if (s == "virtual") return ClockMode::virtual_time;
    throw py::value_error("clock must be 'real' or 'virtual', not '" + s + "'");
}

// What the module stored before a reboot, over the scenario's contexts: each
// dict has an "id" (1-3) and any of ip_type, apn, username, password,
// auth_type, active, auto_connect.
void apply_pdp(const py::object& pdp, ModemConfig& c) {
    if (c.pdp.empty()) c.pdp.push_back(PdpSetup{});  // the default: PDP 1 up, reconnecting
    for (const auto& item : pdp.cast<py::list>()) {
        const auto d = item.cast<py::dict>();
        const int id = d["id"].cast<int>();
        if (id < 1 || id > Cellular::kPdpCount)
            throw py::value_error("pdp id must be 1.." + std::to_string(Cellular::kPdpCount));
        auto it =
            std::find_if(c.pdp.begin(), c.pdp.end(), [&](const PdpSetup& s) { return s.id == id; });
        if (it == c.pdp.end()) {
            PdpSetup fresh;
            fresh.id = id;
            fresh.active = fresh.auto_connect = false;
            it = c.pdp.insert(c.pdp.end(), fresh);
        }
        if (d.contains("ip_type")) it->ip_type = d["ip_type"].cast<int>();
        if (d.contains("apn")) it->apn = d["apn"].cast<std::string>();
        if (d.contains("username")) it->username = d["username"].cast<std::string>();
        if (d.contains("password")) it->password = d["password"].cast<std::string>();
        if (d.contains("auth_type")) it->auth_type = d["auth_type"].cast<int>();
        if (d.contains("active")) it->active = d["active"].cast<bool>();
        if (d.contains("auto_connect")) it->auto_connect = d["auto_connect"].cast<bool>();
    }
}

std::shared_ptr<Modem> make_modem(const py::object& scenario, const py::object& clock,
                                  const py::object& module, const py::object& dialect,
                                  const py::object& seed, const py::object& dns,
                                  const py::object& host_network, const std::string& expose_ip,
                                  const py::object& trace, bool trace_in_memory,
                                  const py::object& rtc, int power_on_reason, int boot_count,
                                  const py::object& forward, bool trace_append,
                                  const py::object& timeline_offset, const py::object& pdp,
                                  const py::object& pcap) {
    ModemConfig c;
    // The scenario first; explicit arguments override it.
    if (!scenario.is_none()) {
        if (!PyUnicode_Check(scenario.ptr()) &&
            !py::isinstance(scenario, py::module_::import("os").attr("PathLike")))
            throw py::type_error("scenario must be a path (str or os.PathLike), not " +
                                 std::string(py::str(py::type::of(scenario).attr("__name__"))));
        apply_scenario(load_scenario(py::str(scenario)), c);
    }
    if (!clock.is_none()) c.clock = parse_clock(arg_str(clock, "clock"));
    if (!module.is_none()) c.module = arg_str(module, "module");
    if (!dialect.is_none()) c.dialect = arg_str(dialect, "dialect");
    if (!seed.is_none()) c.seed = arg_uint64(seed, "seed");
    c.host_network = host_network.is_none() ? c.clock == ClockMode::real
                                            : arg_bool(host_network, "host_network");
    c.expose_ip = expose_ip;
    if (!trace.is_none()) c.trace_path = py::str(trace);
    if (!pcap.is_none()) {
        if (!PyUnicode_Check(pcap.ptr()) &&
            !py::isinstance(pcap, py::module_::import("os").attr("PathLike")))
            throw py::type_error("pcap must be a path (str or os.PathLike), not " +
                                 std::string(py::str(py::type::of(pcap).attr("__name__"))));
        c.pcap_path = py::str(py::module_::import("os").attr("fspath")(pcap));
        if (c.pcap_path.empty()) throw py::value_error("pcap must name a file, not ''");
    }
    c.trace_in_memory = trace_in_memory;
    c.trace_append = trace_append;
    if (!rtc.is_none()) c.rtc_start = arg_int(rtc, "rtc", 0, 253402300799);  // up to 9999
    if (!timeline_offset.is_none()) {
        const auto d = to_timeout(timeline_offset, "timeline_offset");
        if (!d) throw py::type_error("timeline_offset must be a number of seconds");
        c.timeline_offset = *d;
    }
    c.power_on_reason = power_on_reason;
    c.boot_count = boot_count;
    if (!forward.is_none()) {
        if (!py::isinstance<py::dict>(forward)) {
            throw py::type_error("forward must be a dict of 'host:port' -> 'host:port'");
        }
        for (auto [k, v] : forward.cast<py::dict>()) {
            c.forwards[py::str(k).cast<std::string>()] = py::str(v).cast<std::string>();
        }
    }
    if (!pdp.is_none()) apply_pdp(pdp, c);
    if (!dns.is_none()) {
        if (!py::isinstance<py::dict>(dns))
            throw py::type_error("dns must be a dict of name -> address(es)");
        for (auto [k, v] : dns.cast<py::dict>()) {
            const auto name = py::str(k).cast<std::string>();
            if (py::isinstance<py::str>(v)) {
                c.dns[name].push_back(v.cast<std::string>());
            } else {
                for (auto a : v)
                    c.dns[name].push_back(py::str(a).cast<std::string>());
            }
        }
    }
    py::gil_scoped_release nogil;
    return std::make_shared<Modem>(std::move(c));
}

}  // namespace

void bind_modem(py::module_& m) {
    m.def("set_log_verbosity", &set_log_verbosity, py::arg("verbosity"),
          "Emulator log level: -1 quiet, 0 normal, 1 debug (TCP states), 2 trace.");
    py::class_<Modem, std::shared_ptr<Modem>>(m, "Modem",
                                              "One emulated cellular module (the C++ core).")
        .def(py::init(&make_modem), py::kw_only(), py::arg("scenario") = py::none(),
             py::arg("clock") = py::none(), py::arg("module") = py::none(),
             py::arg("dialect") = py::none(), py::arg("seed") = py::none(),
             py::arg("dns") = py::none(), py::arg("host_network") = py::none(),
             py::arg("expose_ip") = "127.0.0.1", py::arg("trace") = py::none(),
             py::arg("trace_in_memory") = false, py::arg("rtc") = py::none(),
             py::arg("power_on_reason") = 1, py::arg("boot_count") = 0,
             py::arg("forward") = py::none(), py::arg("trace_append") = false,
             py::arg("timeline_offset") = py::none(), py::arg("pdp") = py::none(),
             py::arg("pcap") = py::none())
        .def_property_readonly("profile", &Modem::profile,
                               py::return_value_policy::reference_internal)
        .def_property_readonly("dialect", &Modem::dialect,
                               py::return_value_policy::reference_internal)
        .def_property_readonly("seed", &Modem::seed)
        .def_property_readonly(
            "clock", [](const Modem& md) { return std::string(to_string(md.sched().mode())); })
        .def(
            "socket",
            [](const std::shared_ptr<Modem>& md, int af, int type, int proto) {
                auto s = guarded(*md, [&] {
                    py::gil_scoped_release nogil;
                    return md->open_socket(af, type, proto);
                });
                return SocketHandle{md, std::move(s)};
            },
            py::arg("af"), py::arg("type"), py::arg("proto"))
        .def(
            "getaddrinfo",
            [](Modem& md, const std::string& host, int port) {
                auto answers = guarded(md, [&] {
                    py::gil_scoped_release nogil;
                    return md.getaddrinfo(host, port);
                });
                py::list out;
                for (const auto& a : answers)
                    out.append(py::make_tuple(a.v6, a.ip, a.port));
                return out;
            },
            py::arg("host"), py::arg("port"))
        .def(
            "sleep",
            [](Modem& md, const py::object& seconds) {
                const auto d = to_timeout(seconds, "sleep time");
                if (!d) throw py::type_error("sleep time must be a number");
                py::gil_scoped_release nogil;
                md.sleep(*d);
            },
            py::arg("seconds"))
        .def(
            "now", [](const Modem& md) { return to_seconds(md.sched().now()); },
            "Device time in seconds since power-on.")
        .def("now_ns", [](const Modem& md) { return md.sched().now().count(); })
        .def(
            "ticks_ns",
            [](Modem& md) {
                // A clock read is a call into the module: a loop of them moves
                // the clock (virtual time).
                py::gil_scoped_release nogil;
                md.charge_call();
                return md.sched().now().count();
            },
            "Device time in ns, as utime's ticks read it.")
        .def(
            "exposed_port",
            [](Modem& md, const py::object& port, bool udp) {
                const auto p = static_cast<std::uint16_t>(arg_int(port, "device_port", 0, 65535));
                py::gil_scoped_release nogil;
                return md.exposed_port(p, udp);
            },
            py::arg("device_port"), py::arg("udp") = false,
            "PC port at which a device TCP server on device_port (with udp=True: a UDP "
            "socket bound to it) is reachable on 127.0.0.1 (0: none).")
        .def("open_sockets", &Modem::open_sockets, py::call_guard<py::gil_scoped_release>())
        .def("halt", &Modem::halt, py::arg("reason"), py::call_guard<py::gil_scoped_release>())
        .def(
            "halt_after",
            [](Modem& md, const py::object& seconds, const std::string& reason) {
                const auto d = to_timeout(seconds, "time limit");
                if (!d) throw py::type_error("time limit must be a number of seconds");
                md.halt_after(*d, reason);
            },
            py::arg("seconds"), py::arg("reason"))
        .def("halted", &Modem::halted)
        .def(
            "set_busy",
            [](Modem& md, int n) {
                auto lk = md.lock();
                md.sched().set_busy(n);
            },
            py::arg("n"), "How many things keep the module busy (running osTimers).")
        .def("halt_reason", &Modem::halt_reason)
        .def("set_listening", &Modem::set_listening, py::arg("on"),
             py::call_guard<py::gil_scoped_release>())
        .def("events_ahead", &Modem::events_ahead, py::call_guard<py::gil_scoped_release>())
        .def(
            "next_timeline_event",
            [](Modem& md) -> py::object {
                std::optional<std::pair<DeviceTime, std::string>> next;
                {
                    py::gil_scoped_release nogil;
                    next = md.next_timeline_event();
                }
                if (!next) return py::none();
                return py::make_tuple(to_seconds(next->first), next->second);
            },
            "(device seconds, 'kind \\'name\\'') of the timeline's next fault, or None.")
        .def("wait_halted", &Modem::wait_halted, py::call_guard<py::gil_scoped_release>())
        .def(
            "attach_thread",
            [](Modem& md, const std::string& name) {
                register_device_thread();
                py::gil_scoped_release nogil;
                md.attach_thread(name);
            },
            py::arg("name"), "The calling thread runs device code (virtual time schedules it).")
        .def("detach_thread",
             [](Modem& md) {
                 forget_device_thread();
                 py::gil_scoped_release nogil;
                 md.detach_thread();
             })
        .def("trace_lines",
             [](Modem& md) {
                 std::vector<std::string> lines;
                 {
                     py::gil_scoped_release nogil;
                     auto lk = md.lock();
                     lines = md.trace().lines();
                 }
                 return lines;
             })
        .def("device_ip",
             [](Modem& md) -> py::object {
                 auto lk = md.lock();
                 const auto ip = md.device_ip(false);
                 if (!ip) return py::none();
                 return py::str(ip->to_string());
             })
        .def("set_interrupt_check", [](Modem& md) {
            // Ctrl-C reaches a main thread blocked in a device call: every
            // 100 ms it looks for a pending signal with the GIL taken.
            auto lk = md.lock();
            md.sched().set_interrupt_check(std::this_thread::get_id(), [] {
                py::gil_scoped_acquire gil;
                if (PyErr_CheckSignals() != 0) throw py::error_already_set();
            });
        });
}

}  // namespace qpysim::py_bindings
