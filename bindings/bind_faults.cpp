// Faults from Python: Modem.apply_fault / lift_fault / faults, and the list of
// kinds for `qpysim faults` and the docs.
#include "common.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim::py_bindings {

namespace {

std::map<std::string, std::string> text_dict(const py::handle& obj, const char* what) {
    std::map<std::string, std::string> out;
    if (obj.is_none()) return out;
    if (!py::isinstance<py::dict>(obj)) {
        throw py::type_error(std::string(what) + " must be a dict, not " +
                             std::string(py::str(py::type::of(obj).attr("__name__"))));
    }
    for (auto [k, v] : obj.cast<py::dict>()) {
        if (!py::isinstance<py::str>(k))
            throw py::type_error(std::string(what) + " keys must be str");
        if (v.is_none()) continue;
        if (py::isinstance<py::bool_>(v)) {
            out[k.cast<std::string>()] = v.cast<bool>() ? "true" : "false";
        } else if (py::isinstance<py::str>(v) || py::isinstance<py::int_>(v) ||
                   py::isinstance<py::float_>(v)) {
            out[k.cast<std::string>()] = py::str(v).cast<std::string>();
        } else {
            throw py::type_error(std::string(what) + "['" + k.cast<std::string>() +
                                 "'] must be a str or a number, not " +
                                 std::string(py::str(py::type::of(v).attr("__name__"))));
        }
    }
    return out;
}

// fn(the modem's Peripherals), under the core lock and without the GIL.
template <class Fn>
auto with_peripherals(Modem& md, Fn fn) {
    py::gil_scoped_release nogil;
    auto lk = md.lock();
    return fn(md.peripherals());
}

py::dict fault_dict(const Fault& f) {
    py::dict d;
    d["id"] = f.id;
    d["name"] = f.spec.name;
    d["kind"] = f.spec.kind;
    py::dict settings;
    for (const auto& [k, v] : f.spec.settings)
        settings[py::str(k)] = v;
    d["settings"] = settings;
    py::dict match;
    if (f.spec.match.host) match["host"] = *f.spec.match.host;
    if (f.spec.match.port) match["port"] = *f.spec.match.port;
    if (f.spec.match.socket) match["socket"] = *f.spec.match.socket;
    if (f.spec.match.udp) match["proto"] = *f.spec.match.udp ? "udp" : "tcp";
    d["match"] = match;
    d["direction"] = to_string(f.spec.direction);
    d["probability"] = f.spec.probability;
    d["applied_at"] = to_seconds(f.applied_at);
    d["lift_at"] = f.lift_at ? py::object(py::float_(to_seconds(*f.lift_at))) : py::none();
    d["description"] = describe(f.spec);
    return d;
}

}  // namespace

void bind_faults(py::module_& m) {
    m.attr("REBOOT_REASON") = kRebootReason;
    m.attr("RESTART_REASON") = kRestartReason;
    m.attr("GPIO_COUNT") = Peripherals::kGpioCount;
    m.def(
        "fault_kinds",
        [] {
            py::list out;
            for (const auto& k : builtin_faults().kinds()) {
                py::list settings;
                for (const auto& [key, doc] : k.settings)
                    settings.append(py::make_tuple(key, doc));
                out.append(py::make_tuple(k.name, to_string(k.scope), k.summary, settings,
                                          match_keys(k), takes_direction(k)));
            }
            return out;
        },
        "Every fault kind: (name, scope, summary, [(setting, doc)], match keys, direction?).");

    auto cls = py::reinterpret_borrow<py::class_<Modem, std::shared_ptr<Modem>>>(m.attr("Modem"));
    cls.def(
           "apply_fault",
           [](Modem& md, const py::dict& fields, const py::object& match) {
               const auto f = text_dict(fields, "the fault");
               const auto mt = text_dict(match, "match");
               FaultSpec spec = fault_spec_from(f, mt);
               py::gil_scoped_release nogil;
               return md.apply_fault(std::move(spec));
           },
           py::arg("fields"), py::arg("match") = py::none(),
           "Apply a fault now: fields are kind, name, direction, probability, for and the "
           "kind's settings; returns its id (0 for reboot).")
        .def(
            "lift_fault",
            [](Modem& md, const py::object& which) {
                if (!py::isinstance<py::str>(which) && !py::isinstance<py::int_>(which)) {
                    throw py::type_error("lift() takes a fault's name or id");
                }
                const std::string key = py::str(which).cast<std::string>();
                py::gil_scoped_release nogil;
                return md.lift_fault(key);
            },
            py::arg("name_or_id"), "Lift the faults with this name or id; returns how many.")
        .def("faults",
             [](Modem& md) {
                 std::vector<Fault> active;
                 {
                     py::gil_scoped_release nogil;
                     active = md.active_faults();
                 }
                 py::list out;
                 for (const auto& f : active)
                     out.append(fault_dict(f));
                 return out;
             })
        .def("scenario_time",
             [](Modem& md) {
                 auto lk = md.lock();
                 return to_seconds(md.scenario_time());
             })
        .def(
            "uart_peers",
            [](const Modem& md) {
                // {UART number: [(kind, text, delay seconds)]}: the scenario's uart:.
                py::dict out;
                for (const auto& [port, peer] : md.config().uart_peers) {
                    py::list steps;
                    for (const auto& st : peer.steps) {
                        const char* kind = st.kind == ScriptStep::Kind::expect ? "expect"
                                           : st.kind == ScriptStep::Kind::send ? "send"
                                                                               : "delay";
                        steps.append(
                            py::make_tuple(kind, py::bytes(st.text), to_seconds(st.delay)));
                    }
                    out[py::int_(port)] = steps;
                }
                return out;
            },
            "The scenario's uart: scripted devices: {UART number: [(kind, text, seconds)]}.")
        .def(
            "i2c_devices",
            [](const Modem& md) {
                py::dict out;
                for (const auto& [bus, devices] : md.config().i2c_devices) {
                    py::dict on_bus;
                    for (const auto& [address, dev] : devices) {
                        py::dict regs, answers;
                        for (const auto& [reg, value] : dev.registers)
                            regs[py::bytes(reg)] = py::bytes(value);
                        for (const auto& [cmd, value] : dev.answers)
                            answers[py::bytes(cmd)] = py::bytes(value);
                        on_bus[py::int_(address)] = py::make_tuple(regs, answers);
                    }
                    out[py::int_(bus)] = on_bus;
                }
                return out;
            },
            "The scenario's i2c: devices: {bus: {7-bit address: ({register: bytes}, "
            "{command: answer})}}.")
        .def(
            "pin_drive",
            [](Modem& md, int gpio) -> std::optional<int> {
                return with_peripherals(md, [&](Peripherals& p) { return p.pin_drive(gpio); });
            },
            py::arg("gpio"), "The level a pin fault holds GPIOn at, or None.")
        .def(
            "uart_accept",
            [](Modem& md, int port, std::size_t buffered, std::size_t arriving) {
                return with_peripherals(md, [&](Peripherals& p) {
                    return p.accept(port, buffered, arriving, md.trace(), md.sched().now());
                });
            },
            py::arg("port"), py::arg("buffered"), py::arg("arriving"),
            "How many of `arriving` bytes fit in UART port's receive FIFO with `buffered` "
            "unread (a uart_overrun fault); the rest are lost and traced.")
        .def(
            "i2c_silent",
            [](Modem& md, int bus, int address) {
                return with_peripherals(md,
                                        [&](Peripherals& p) { return p.i2c_silent(bus, address); });
            },
            py::arg("bus"), py::arg("address"),
            "An i2c_nack fault silences the device at (bus, address).")
        .def(
            "adc_drive",
            [](Modem& md, int channel) -> std::optional<int> {
                return with_peripherals(md, [&](Peripherals& p) { return p.adc_drive(channel); });
            },
            py::arg("channel"), "The millivolts an adc fault holds the channel at, or None.")
        .def(
            "vbatt",
            [](Modem& md) {
                return with_peripherals(md, [&](Peripherals& p) { return p.vbatt(); });
            },
            "The supply voltage in mV (a vbatt fault's, or the nominal 3800).")
        .def(
            "uart_lost",
            [](Modem& md, int port) {
                return with_peripherals(md, [&](Peripherals& p) { return p.uart_lost(port); });
            },
            py::arg("port"), "Bytes UART port has lost to overruns since power-on.");
}

}  // namespace qpysim::py_bindings
