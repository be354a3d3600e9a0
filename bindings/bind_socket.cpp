#include "common.hpp"
#include "handles.hpp"

namespace qpysim::py_bindings {

namespace {

py::tuple endpoint_tuple(const Endpoint& e) {
    return py::make_tuple(e.ip_string(), e.port);
}

std::size_t to_size(const py::handle& n, const char* what) {
    if (!PyLong_Check(n.ptr())) {
        throw py::type_error(std::string(what) + " must be an int, not " +
                             std::string(py::str(py::type::of(n).attr("__name__"))));
    }
    const long long v = n.cast<long long>();
    if (v < 0) throw py::value_error(std::string(what) + " must be >= 0");
    return static_cast<std::size_t>(v);
}

}  // namespace

void bind_socket(py::module_& m) {
    py::class_<SocketHandle>(m, "Socket", "A socket of the emulated stack (use usocket.socket).")
        .def_property_readonly("id", [](const SocketHandle& h) { return h.sock->id(); })
        .def(
            "bind",
            [](SocketHandle& h, const std::string& host, int port) {
                guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    h.sock->bind(host, port);
                });
            },
            py::arg("host"), py::arg("port"))
        .def(
            "listen",
            [](SocketHandle& h, int backlog) {
                guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    h.sock->listen(backlog);
                });
            },
            py::arg("backlog"))
        .def("accept",
             [](SocketHandle& h) {
                 auto accepted = guarded(*h.modem, [&] {
                     py::gil_scoped_release nogil;
                     return h.sock->accept();
                 });
                 return py::make_tuple(SocketHandle{h.modem, accepted.socket},
                                       accepted.peer.ip_string(), accepted.peer.port);
             })
        .def(
            "connect",
            [](SocketHandle& h, const std::string& host, int port) {
                guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    h.sock->connect(host, port);
                });
            },
            py::arg("host"), py::arg("port"))
        .def(
            "send",
            [](SocketHandle& h, const py::object& data) {
                const BytesView bytes(data, "send()");
                return guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->send(bytes.view());
                });
            },
            py::arg("data"))
        .def(
            "send_all",
            [](SocketHandle& h, const py::object& data, bool raise_on_partial_timeout) {
                const BytesView bytes(data, "write()");
                return guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->send_all(bytes.view(), raise_on_partial_timeout);
                });
            },
            py::arg("data"), py::arg("raise_on_partial_timeout"))
        .def(
            "sendto",
            [](SocketHandle& h, const py::object& data, const std::string& ip, int port) {
                const BytesView bytes(data, "sendto()");
                return guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->sendto(bytes.view(), ip, port);
                });
            },
            py::arg("data"), py::arg("ip"), py::arg("port"))
        .def(
            "recv",
            [](SocketHandle& h, const py::object& n) {
                const std::size_t max = to_size(n, "bufsize");
                Bytes out = guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->recv(max);
                });
                return py::bytes(out.data(), out.size());
            },
            py::arg("bufsize"))
        .def(
            "recv_flags",
            [](SocketHandle& h, const py::object& n, bool peek, bool dont_wait) {
                const std::size_t max = to_size(n, "bufsize");
                Bytes out = guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->recv(max, peek, dont_wait);
                });
                return py::bytes(out.data(), out.size());
            },
            py::arg("bufsize"), py::arg("peek"), py::arg("dont_wait"),
            "recv() with MSG_PEEK / MSG_DONTWAIT.")
        .def(
            "recvfrom",
            [](SocketHandle& h, const py::object& n, bool peek, bool dont_wait) {
                const std::size_t max = to_size(n, "bufsize");
                Endpoint from;
                Bytes out = guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->recvfrom(max, from, peek, dont_wait);
                });
                return py::make_tuple(py::bytes(out.data(), out.size()), endpoint_tuple(from));
            },
            py::arg("bufsize"), py::arg("peek") = false, py::arg("dont_wait") = false,
            "recvfrom(), with MSG_PEEK / MSG_DONTWAIT where the dialect takes flags.")
        .def(
            "read",
            [](SocketHandle& h, const py::object& n) {
                std::optional<std::size_t> max;
                if (!n.is_none()) max = to_size(n, "size");
                Bytes out = guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->read(max);
                });
                return py::bytes(out.data(), out.size());
            },
            py::arg("size") = py::none())
        .def(
            "readline",
            [](SocketHandle& h, const py::object& size) {
                std::size_t max = SIZE_MAX;
                if (!size.is_none()) {
                    const auto n = size.cast<long long>();
                    if (n >= 0) max = static_cast<std::size_t>(n);  // negative: no limit
                }
                Bytes out = guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    return h.sock->readline(max);
                });
                return py::bytes(out.data(), out.size());
            },
            py::arg("size") = py::none())
        .def(
            "close", [](SocketHandle& h) { h.sock->close(); },
            py::call_guard<py::gil_scoped_release>())
        .def("settimeout",
             [](SocketHandle& h, const py::object& value) {
                 h.sock->settimeout(to_timeout(value, "timeout"));
             })
        .def("gettimeout",
             [](SocketHandle& h) -> py::object {
                 const auto t = h.sock->timeout();
                 if (!t) return py::none();
                 return py::float_(to_seconds(*t));
             })
        .def("set_keepalive",
             [](SocketHandle& h, int minutes) {
                 guarded(*h.modem, [&] { h.sock->set_keepalive_minutes(minutes); });
             })
        .def("set_linger_abort",
             [](SocketHandle& h, bool on) {
                 guarded(*h.modem, [&] { h.sock->set_linger_abort(on); });
             })
        .def(
            "set_reuseaddr",
            [](SocketHandle& h, bool on) { guarded(*h.modem, [&] { h.sock->set_reuseaddr(on); }); })
        .def(
            "state", [](SocketHandle& h) { return h.sock->tcp_state(); },
            "getsocketsta(): lwIP TCP state number 0..10, -1 once closed.")
        .def("fileno", [](SocketHandle& h) { return h.sock->fileno(); })
        .def("poll_events",
             [](SocketHandle& h) {
                 auto lk = h.modem->lock();
                 return h.sock->poll_events();
             })
        .def(
            "wait_events",
            [](SocketHandle& h, int mask, const py::object& timeout) {
                const auto t = to_timeout(timeout, "timeout");
                return guarded(*h.modem, [&] {
                    py::gil_scoped_release nogil;
                    std::optional<DeviceTime> deadline;
                    if (t) deadline = h.modem->sched().now() + *t;
                    return h.sock->wait_events(mask, deadline);
                });
            },
            py::arg("mask"), py::arg("timeout"))
        .def("local_address",
             [](SocketHandle& h) -> py::object {
                 const auto e = h.sock->local();
                 if (!e) return py::none();
                 return endpoint_tuple(*e);
             })
        .def("remote_address",
             [](SocketHandle& h) -> py::object {
                 const auto e = h.sock->remote();
                 if (!e) return py::none();
                 return endpoint_tuple(*e);
             })
        .def_property_readonly(
            "type", [](const SocketHandle& h) { return static_cast<int>(h.sock->type()); })
        .def_property_readonly("closed", [](const SocketHandle& h) {
            auto lk = h.modem->lock();
            return h.sock->closed();
        });
}

}  // namespace qpysim::py_bindings
