// One emulated cellular module: its clock, cellular state, socket table,
// resolver, peers (the host gateway and, later, virtual hosts) and trace.
//
// The Modem is what the bindings hold. Its public device calls take the core
// lock themselves; the "stack" calls further down are for Socket and the peers
// and expect the lock held.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/cellular.hpp"
#include "qpysim/link.hpp"
#include "qpysim/profile.hpp"
#include "qpysim/resolver.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/socket.hpp"
#include "qpysim/trace.hpp"

namespace qpysim {

class HostGateway;

struct ModemConfig {
    ClockMode clock = ClockMode::real;
    std::string module = "EC600U";
    std::string dialect = "quecpython";
    std::uint64_t seed = 1;
    // Scenario `dns:` zone: name -> addresses.
    std::map<std::string, std::vector<std::string>> dns;
    // Reach the PC's network (host gateway) and resolver. Real time only.
    bool host_network = true;
    // Where device server sockets are exposed on the PC.
    std::string expose_ip = "127.0.0.1";
    // JSON Lines trace file; empty: none.
    std::string trace_path;
    bool trace_in_memory = false;
};

// One getaddrinfo() answer.
struct AddrInfo {
    bool v6 = false;
    std::string ip;
    int port = 0;
};

class Modem {
  public:
    explicit Modem(ModemConfig config);
    ~Modem();
    Modem(const Modem&) = delete;
    Modem& operator=(const Modem&) = delete;

    // ---- the device calls (take the lock) ----
    // usocket.socket(af, type, proto), with the profile's constant values.
    std::shared_ptr<Socket> open_socket(int af, int type, int proto);
    // usocket.getaddrinfo(host, port): the first answer, as lwIP returns one.
    std::vector<AddrInfo> getaddrinfo(const std::string& host, int port);
    // Device-time sleep for the calling device thread.
    void sleep(Duration d);

    // ---- for the bindings and tests ----
    Scheduler& sched() noexcept { return sched_; }
    const Scheduler& sched() const noexcept { return sched_; }
    Trace& trace() noexcept { return trace_; }
    Resolver& resolver() noexcept { return resolver_; }
    Cellular& cellular() noexcept { return cellular_; }
    const ModuleProfile& profile() const noexcept { return profile_; }
    const Dialect& dialect() const noexcept { return dialect_; }
    const ErrnoTable& errnos() const noexcept { return errnos_; }
    const ModemConfig& config() const noexcept { return config_; }
    std::uint64_t seed() const noexcept { return config_.seed; }
    CoreLock lock() { return CoreLock(sched_); }
    // PC port at which a device TCP server on `device_port` is reachable (0: none).
    std::uint16_t exposed_port(std::uint16_t device_port);
    int open_sockets();
    // Stop the module: every blocked device call throws Halted(reason).
    void halt(const std::string& reason);
    // Halt once `d` of device time has passed from now.
    void halt_after(Duration d, const std::string& reason);
    std::string halt_reason();
    bool halted();
    // Block the calling (non-device) thread until the modem halts.
    void wait_halted();
    // The calling thread runs device code from now on (virtual time schedules
    // it with the others) / no longer does.
    void attach_thread(const std::string& name);
    void detach_thread();

    // ---- the stack (lock held) ----
    // Device IP of the first active PDP context (v4 or v6), if any.
    std::optional<IpAddress> device_ip(bool v6) const;
    // Take a table slot for `s`; throws Error(table_full).
    int allocate_fd(const std::shared_ptr<Socket>& s);
    void release_fd(int fd) noexcept;
    std::uint16_t ephemeral_port(SockType type);
    bool port_in_use(SockType type, std::uint16_t port, const Socket* except) const;
    // Route a new TCP connection from `from` (local) to `remote`, attach the far
    // end and return it. Throws Error(host_unreachable) with no data path.
    std::shared_ptr<Connection> open_connection(const std::shared_ptr<Socket>& from,
                                                const Endpoint& local, const Endpoint& remote);
    void listening(const std::shared_ptr<Socket>& s);
    void not_listening(const Socket* s);
    // A UDP socket has a local port: datagrams to it can be delivered.
    void udp_bound(const std::shared_ptr<Socket>& s);
    // A freed-by-close socket still has a pcb (FIN-WAIT, TIME-WAIT...): keep it.
    void linger(std::shared_ptr<Socket> s);
    void unlinger(const Socket* s);
    void send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& local,
                       const Endpoint& to, std::string data);
    void socket_closed(const Socket* s);
    std::uint64_t next_connection_id() noexcept { return next_conn_id_++; }
    std::uint64_t next_socket_id() noexcept { return next_socket_id_++; }
    // select.poll waits here: every socket event notifies it.
    WaitQueue& pollers() noexcept { return pollers_; }
    // Socket state changes and other events, for the trace.
    void trace_event(TraceEvent ev) { trace_.emit(std::move(ev)); }
    std::mt19937_64& rng() noexcept { return rng_; }

  private:
    void setup_default_network();
    void halt_locked(const std::string& reason);
    int free_slot() const noexcept;
    std::shared_ptr<Socket> find_listener(const Endpoint& at) const;
    std::shared_ptr<Socket> find_udp(std::uint16_t port) const;
    bool is_device_address(const IpAddress& ip) const;

    const ModemConfig config_;
    const ModuleProfile profile_;
    const Dialect dialect_;
    const ErrnoTable errnos_;
    Scheduler sched_;
    Trace trace_;
    Resolver resolver_;
    Cellular cellular_;
    std::mt19937_64 rng_;
    std::unique_ptr<HostGateway> gateway_;
    std::shared_ptr<SegmentSink> blackhole_;

    std::vector<std::weak_ptr<Socket>> table_;
    std::vector<std::weak_ptr<Socket>> listeners_;
    std::vector<std::weak_ptr<Socket>> bound_udp_;
    std::map<const Socket*, std::shared_ptr<Socket>> lingering_;
    std::uint16_t next_ephemeral_tcp_;
    std::uint16_t next_ephemeral_udp_;
    std::uint64_t next_conn_id_ = 1;
    std::uint64_t next_socket_id_ = 1;
    WaitQueue pollers_;
};

}  // namespace qpysim
