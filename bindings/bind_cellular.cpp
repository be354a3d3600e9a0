#include "common.hpp"

namespace qpysim::py_bindings {

namespace {

py::dict pdp_dict(const PdpContext& p) {
    py::dict d;
    d["id"] = p.id;
    d["ip_type"] = p.ip_type;
    d["apn"] = p.apn;
    d["username"] = p.username;
    d["password"] = p.password;
    d["auth_type"] = p.auth_type;
    d["active"] = p.active;
    d["auto_activate"] = p.auto_activate;
    d["auto_connect"] = p.auto_connect;
    d["ip"] = p.ip.to_string();
    d["ip6"] = p.ip6.to_string();
    d["dns1"] = p.dns1.to_string();
    d["dns2"] = p.dns2.to_string();
    return d;
}

}  // namespace

void bind_cellular(py::module_& m) {
    m.def(
        "cellular_state",
        [](Modem& md, bool pdp) {
            Cellular c;
            {
                py::gil_scoped_release nogil;
                c = md.cellular_snapshot();
            }
            py::dict d;
            d["sim_status"] = static_cast<int>(c.sim_status());
            d["reg_state"] = static_cast<int>(c.reg_state());
            d["modem_fun"] = c.modem_fun();
            d["net_mode"] = c.net_mode();
            d["roaming"] = c.roaming_allowed();
            const Radio& r = c.radio();
            d["radio"] = py::dict(
                py::arg("csq") = r.csq, py::arg("rssi") = r.rssi, py::arg("rsrp") = r.rsrp,
                py::arg("rsrq") = r.rsrq, py::arg("sinr") = r.sinr, py::arg("tac") = r.tac,
                py::arg("cid") = r.cid, py::arg("pci") = r.pci, py::arg("earfcn") = r.earfcn);
            const Identity& i = c.identity();
            d["identity"] = py::dict(
                py::arg("imei") = i.imei, py::arg("imsi") = i.imsi, py::arg("iccid") = i.iccid,
                py::arg("phone_number") = i.phone_number, py::arg("serial") = i.serial);
            const Operator& o = c.network_operator();
            d["operator"] = py::make_tuple(o.long_name, o.short_name, o.mcc, o.mnc);
            if (!pdp) return d;  // net and sim poll often and need no data calls
            py::dict pdps;
            for (int id = 1; id <= Cellular::kPdpCount; ++id)
                pdps[py::int_(id)] = pdp_dict(c.pdp(id));
            d["pdp"] = pdps;
            return d;
        },
        py::arg("modem"), py::arg("pdp") = true,
        "A snapshot of the module's SIM, registration, radio and (pdp=True) PDP state.");

    m.def(
        "registration",
        [](Modem& md) {
            std::array<int, 3> r{};
            {
                py::gil_scoped_release nogil;
                r = md.registration();
            }
            return py::make_tuple(r[0], r[1], r[2]);
        },
        py::arg("modem"), "(registration state, TAC, cell id): what net.getState polls.");
    m.def("activate_pdp", &Modem::activate_pdp, py::arg("modem"), py::arg("id"),
          py::call_guard<py::gil_scoped_release>(), "dataCall.activate(): True on success.");
    m.def("deactivate_pdp", &Modem::deactivate_pdp, py::arg("modem"), py::arg("id"),
          py::call_guard<py::gil_scoped_release>());
    m.def("set_modem_fun", &Modem::set_modem_fun, py::arg("modem"), py::arg("fun"),
          py::call_guard<py::gil_scoped_release>());
    m.def(
        "set_sim_status",
        [](Modem& md, int status) { md.set_sim_status(static_cast<SimStatus>(status)); },
        py::arg("modem"), py::arg("status"), py::call_guard<py::gil_scoped_release>());
    m.def(
        "set_reg_state",
        [](Modem& md, int state) {
            if (state < 0 || state > 5) throw py::value_error("registration state must be 0..5");
            md.set_reg_state(static_cast<RegState>(state));
        },
        py::arg("modem"), py::arg("state"), py::call_guard<py::gil_scoped_release>());
    m.def("configure_pdp", &Modem::configure_pdp, py::arg("modem"), py::arg("id"),
          py::arg("ip_type"), py::arg("apn"), py::arg("username"), py::arg("password"),
          py::arg("auth_type"), py::call_guard<py::gil_scoped_release>());
    m.def("set_auto", &Modem::set_auto, py::arg("modem"), py::arg("id"), py::arg("activate"),
          py::arg("connect"), py::call_guard<py::gil_scoped_release>());
    m.def("set_net_config", &Modem::set_net_config, py::arg("modem"), py::arg("mode"),
          py::arg("roaming"), py::call_guard<py::gil_scoped_release>());
    m.def(
        "rtc_now",
        [](Modem& md) {
            py::gil_scoped_release nogil;
            md.charge_call();
            return md.rtc_now();
        },
        py::arg("modem"), "RTC now, in Unix seconds (UTC).");
    m.def(
        "boot_info",
        [](Modem& md) {
            return py::make_tuple(md.config().power_on_reason, md.config().boot_count);
        },
        py::arg("modem"), "(power-on reason, reboots before this power-on)");
    m.def(
        "next_event",
        [](Modem& md, const py::object& timeout) -> py::object {
            const auto t = to_timeout(timeout, "timeout");
            std::optional<DeviceEvent> ev;
            {
                py::gil_scoped_release nogil;
                ev = md.next_event(t);
            }
            if (!ev) return py::none();
            py::tuple args(ev->args.size());
            for (std::size_t i = 0; i < ev->args.size(); ++i)
                args[i] = ev->args[i];
            return py::make_tuple(ev->kind, args);
        },
        py::arg("modem"), py::arg("timeout") = py::none(),
        "Wait for the next device event: (kind, args), or None on timeout.");
}

}  // namespace qpysim::py_bindings
