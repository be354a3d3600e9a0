// Device threads, locks, semaphores and poll: the pieces a device script
// blocks on, all waiting in device time.
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common.hpp"
#include "handles.hpp"
#include "qpysim/sync.hpp"

namespace qpysim::py_bindings {

namespace {

// Python thread ident -> the C++ thread id the core knows it by, for
// _thread.stop_thread(ident).
struct ThreadRegistry {
    std::mutex mu;
    std::unordered_map<unsigned long, std::thread::id> ids;
};

ThreadRegistry& threads() {
    static ThreadRegistry* r = new ThreadRegistry();  // outlives interpreter teardown
    return *r;
}

}  // namespace

unsigned long python_ident_of(std::thread::id id) {
    std::lock_guard lk(threads().mu);
    for (const auto& [ident, tid] : threads().ids) {
        if (tid == id) return ident;
    }
    return 0;
}

void register_device_thread() {
    std::lock_guard lk(threads().mu);
    threads().ids[PyThread_get_thread_ident()] = std::this_thread::get_id();
}

void forget_device_thread() {
    std::lock_guard lk(threads().mu);
    threads().ids.erase(PyThread_get_thread_ident());
}

namespace {

// A device thread that has been registered but has not started running yet.
struct ThreadTicket {
    Participant* participant = nullptr;
};

}  // namespace

void bind_sync(py::module_& m) {
    py::class_<Semaphore, std::shared_ptr<Semaphore>>(
        m, "Semaphore", "A semaphore (or, with max 1, a lock) waiting in device time.")
        .def(py::init([](const std::shared_ptr<Modem>& md, int initial, int max) {
                 return std::make_shared<Semaphore>(md->sched(), initial, max);
             }),
             py::arg("modem"), py::arg("initial"), py::arg("max"), py::keep_alive<1, 2>())
        .def(
            "acquire",
            [](Semaphore& s, const py::object& timeout) {
                const auto t = to_timeout(timeout, "timeout");
                py::gil_scoped_release nogil;
                return s.acquire(t);
            },
            py::arg("timeout") = py::none())
        .def("release", &Semaphore::release)
        .def("count", &Semaphore::count)
        .def_property_readonly("max", &Semaphore::max);

    py::class_<ThreadTicket>(m, "ThreadTicket", "A device thread registered to start.");

    m.def(
        "spawn_thread",
        [](Modem& md, const std::string& name, bool daemon) {
            py::gil_scoped_release nogil;
            return ThreadTicket{md.spawn_thread(name, daemon)};
        },
        py::arg("modem"), py::arg("name"), py::arg("daemon") = false,
        "Register a device thread (in the creating thread, so scheduling order is fixed).");
    m.def(
        "enter_thread",
        [](Modem& md, const ThreadTicket& t) {
            register_device_thread();
            py::gil_scoped_release nogil;
            md.enter_thread(t.participant);
        },
        py::arg("modem"), py::arg("ticket"),
        "Run as the registered device thread: in virtual time, wait for its turn.");
    m.def(
        "leave_thread",
        [](Modem& md) {
            forget_device_thread();
            py::gil_scoped_release nogil;
            md.detach_thread();
        },
        py::arg("modem"), "The calling device thread ends.");
    m.def(
        "stop_thread",
        [](Modem& md, unsigned long ident) {
            std::thread::id id;
            {
                std::lock_guard lk(threads().mu);
                const auto it = threads().ids.find(ident);
                if (it == threads().ids.end()) return false;
                id = it->second;
            }
            py::gil_scoped_release nogil;
            md.stop_thread(id);
            return true;
        },
        py::arg("modem"), py::arg("ident"),
        "Make that device thread's current or next wait raise DeviceHalt.");

    m.def(
        "open_host_listener",
        [](const std::shared_ptr<Modem>& md, const std::string& host, int port) {
            auto s = guarded(*md, [&] {
                py::gil_scoped_release nogil;
                return md->open_host_listener(host, port);
            });
            return SocketHandle{md, std::move(s)};
        },
        py::arg("modem"), py::arg("host"), py::arg("port"),
        "A listening socket on a virtual host (a Python peer), outside the module's table.");
    m.def(
        "open_host_socket",
        [](const std::shared_ptr<Modem>& md, const std::string& host) {
            auto s = guarded(*md, [&] {
                py::gil_scoped_release nogil;
                return md->open_host_socket(host);
            });
            return SocketHandle{md, std::move(s)};
        },
        py::arg("modem"), py::arg("host"),
        "A TCP socket on a virtual host (a Python client of a device server).");
    m.def(
        "host_address",
        [](Modem& md, const std::string& host) -> py::object {
            const auto ip = md.host_address(host);
            if (!ip) return py::none();
            return py::str(ip->to_string());
        },
        py::arg("modem"), py::arg("host"));
    m.def(
        "poll",
        [](Modem& md, const py::list& entries, const py::object& timeout) {
            std::vector<std::pair<std::shared_ptr<Socket>, int>> socks;
            for (const auto& e : entries) {
                const auto t = e.cast<py::tuple>();
                socks.emplace_back(t[0].cast<SocketHandle&>().sock, t[1].cast<int>());
            }
            const auto to = to_timeout(timeout, "timeout");
            py::gil_scoped_release nogil;
            return md.poll(socks, to);
        },
        py::arg("modem"), py::arg("entries"), py::arg("timeout"),
        "entries: [(socket, mask)]; waits until one has an event; returns each one's events.");
}

}  // namespace qpysim::py_bindings
