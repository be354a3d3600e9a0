// Virtual services from Python: the list of kinds (for `qpysim services` and
// the schema), the run's TLS CA, the module's RTC, and the MQTT broker of a
// virtual host as tests reach it (qpysim.Device.broker()).
#include "common.hpp"
#include "qpysim/mqtt.hpp"

namespace qpysim::py_bindings {

namespace {

struct BrokerHandle {
    std::shared_ptr<Modem> modem;
    std::shared_ptr<Service> service;  // keeps the broker alive
    mqtt::BrokerAccess* broker;
};

py::dict published_dict(const mqtt::Published& p) {
    py::dict d;
    d["time"] = to_seconds(p.at);
    d["client"] = p.client;
    d["topic"] = p.message.topic;
    d["payload"] = py::bytes(p.message.payload);
    d["qos"] = p.message.qos;
    d["retain"] = p.message.retain;
    d["will"] = p.will;
    return d;
}

py::list published_list(const std::vector<mqtt::Published>& v) {
    py::list out;
    for (const auto& p : v)
        out.append(published_dict(p));
    return out;
}

}  // namespace

void bind_services(py::module_& m) {
    m.def(
        "service_kinds",
        [] {
            py::list out;
            for (const auto& k : builtin_services().kinds()) {
                py::list settings;
                for (const auto& [key, doc] : k.settings)
                    settings.append(py::make_tuple(key, doc));
                out.append(py::make_tuple(k.name, k.tcp, k.udp, k.summary, settings));
            }
            return out;
        },
        "Every virtual service kind: (name, tcp, udp, summary, [(setting, doc)]).");

    m.def(
        "tls_check_ca",
        [](const py::bytes& pem) -> py::object {
            const auto problem = check_ca_certificates(pem.cast<std::string>());
            if (!problem) return py::none();
            return py::str(*problem);
        },
        py::arg("pem"), "Why mbedtls would refuse these CA certificates (PEM), or None.");
    m.def(
        "tls_check_pair",
        [](const py::bytes& cert, const py::bytes& key) -> py::object {
            const auto problem = check_key_pair(cert.cast<std::string>(), key.cast<std::string>());
            if (!problem) return py::none();
            return py::str(*problem);
        },
        py::arg("cert"), py::arg("key"),
        "'key' or 'cert' (whichever does not parse), 'mismatch', or None.");

    py::class_<BrokerHandle>(m, "Broker", "The MQTT broker of a virtual host (Device.broker).")
        .def(
            "publish",
            [](BrokerHandle& h, const std::string& topic, const py::object& payload, int qos,
               bool retain, const py::object& after) {
                const BytesView bytes(payload, "payload");
                mqtt::Message msg{topic, std::string(bytes.view()), qos, retain};
                const auto delay = to_timeout(after, "after").value_or(Duration{0});
                py::gil_scoped_release nogil;
                auto lk = h.modem->lock();
                h.broker->publish(std::move(msg), delay);
            },
            py::arg("topic"), py::arg("payload"), py::arg("qos") = 0, py::arg("retain") = false,
            py::arg("after") = py::none())
        .def("clients",
             [](BrokerHandle& h) {
                 std::vector<mqtt::ClientInfo> clients;
                 {
                     py::gil_scoped_release nogil;
                     auto lk = h.modem->lock();
                     clients = h.broker->clients();
                 }
                 py::list out;
                 for (const auto& c : clients) {
                     py::dict d;
                     d["client_id"] = c.client_id;
                     d["connected"] = c.connected;
                     d["clean_session"] = c.clean_session;
                     d["protocol"] = c.protocol == 4 ? "3.1.1" : "3.1";
                     d["keepalive"] = c.keepalive;
                     d["username"] = c.username;
                     d["peer"] = c.peer;
                     d["subscriptions"] = c.subscriptions;
                     d["queued"] = c.queued;
                     d["inflight"] = c.inflight;
                     out.append(d);
                 }
                 return out;
             })
        .def("retained",
             [](BrokerHandle& h) {
                 std::vector<mqtt::Message> msgs;
                 {
                     py::gil_scoped_release nogil;
                     auto lk = h.modem->lock();
                     msgs = h.broker->retained();
                 }
                 py::dict out;
                 for (const auto& msg : msgs)
                     out[py::str(msg.topic)] = py::bytes(msg.payload);
                 return out;
             })
        .def("messages",
             [](BrokerHandle& h) {
                 std::vector<mqtt::Published> msgs;
                 {
                     py::gil_scoped_release nogil;
                     auto lk = h.modem->lock();
                     msgs = h.broker->messages();
                 }
                 return published_list(msgs);
             })
        .def(
            "disconnect",
            [](BrokerHandle& h, const std::string& client_id, bool reset) {
                py::gil_scoped_release nogil;
                auto lk = h.modem->lock();
                return h.broker->disconnect(client_id, reset);
            },
            py::arg("client_id"), py::arg("reset") = false)
        .def(
            "subscribe",
            [](BrokerHandle& h, const std::string& filter) {
                py::gil_scoped_release nogil;
                auto lk = h.modem->lock();
                return h.broker->subscribe(filter);
            },
            py::arg("filter"))
        .def(
            "unsubscribe",
            [](BrokerHandle& h, std::uint64_t sub) {
                py::gil_scoped_release nogil;
                auto lk = h.modem->lock();
                h.broker->unsubscribe(sub);
            },
            py::arg("sub"))
        .def(
            "take",
            [](BrokerHandle& h, std::uint64_t sub, const py::object& timeout) {
                const auto t = to_timeout(timeout, "timeout");
                std::vector<mqtt::Published> got;
                {
                    py::gil_scoped_release nogil;
                    auto lk = h.modem->lock();
                    got = h.broker->take(lk, sub, t);
                }
                return published_list(got);
            },
            py::arg("sub"), py::arg("timeout") = py::none());

    auto cls = py::reinterpret_borrow<py::class_<Modem, std::shared_ptr<Modem>>>(m.attr("Modem"));
    cls.def(
           "broker",
           [](const std::shared_ptr<Modem>& md, const std::string& host, int port) {
               std::shared_ptr<Service> service;
               {
                   py::gil_scoped_release nogil;
                   auto lk = md->lock();
                   service = md->service_at(host, port, false);
               }
               auto* broker = service ? service->broker_access() : nullptr;
               if (!broker) {
                   throw py::value_error("no mqtt service at " + host + ":" + std::to_string(port) +
                                         " (declare it in the scenario: hosts: {" + host + ": {" +
                                         std::to_string(port) + ": mqtt}})");
               }
               return BrokerHandle{md, std::move(service), broker};
           },
           py::arg("host"), py::arg("port") = 1883)
        .def("tls_ca", &Modem::tls_ca_pem, py::call_guard<py::gil_scoped_release>(),
             "The run's CA certificate (PEM): it signs the certificates of tls: services.")
        .def(
            "set_rtc",
            [](Modem& md, double unix_seconds) {
                py::gil_scoped_release nogil;
                md.set_rtc(unix_seconds);
            },
            py::arg("unix_seconds"), "Set the module's RTC (Unix seconds, UTC).");
}

}  // namespace qpysim::py_bindings
