// Python-side handles on core objects. Each holds the Modem too, so the module
// outlives every socket a script still has.
#pragma once

#include <memory>

#include "qpysim/modem.hpp"
#include "qpysim/socket.hpp"

namespace qpysim::py_bindings {

struct SocketHandle {
    std::shared_ptr<Modem> modem;
    std::shared_ptr<Socket> sock;

    SocketHandle(std::shared_ptr<Modem> m, std::shared_ptr<Socket> s)
        : modem(std::move(m)), sock(std::move(s)) {}
    SocketHandle(SocketHandle&&) = default;
    SocketHandle& operator=(SocketHandle&&) = default;
    SocketHandle(const SocketHandle&) = delete;
    SocketHandle& operator=(const SocketHandle&) = delete;
    // A socket the script drops is closed, as MicroPython's __del__ closes it.
    ~SocketHandle() {
        if (sock) sock->close();
    }
};

}  // namespace qpysim::py_bindings
