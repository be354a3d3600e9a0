#include "qpysim/modem.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "qpysim/host_gateway.hpp"
#include "qpysim/log.hpp"

namespace qpysim {

namespace {

// lwIP's ephemeral port range: TCP_LOCAL_PORT_RANGE_START..END.
constexpr std::uint16_t kEphemeralFirst = 0xc000;
constexpr std::uint16_t kEphemeralLast = 0xffff;

// A peer that exists but never answers: SYNs to an address nobody serves in a
// virtual network time out, as they would towards a dead host on the internet.
class Blackhole final : public SegmentSink {
  public:
    void on_segment(const std::shared_ptr<Connection>&, Segment) override {}
};

IpAddress parse_zone_address(const std::string& name, const std::string& text) {
    auto ip = parse_ip(text);
    if (!ip) {
        throw UsageError("dns: '" + name + "': '" + text + "' is not an IPv4 or IPv6 address");
    }
    return *ip;
}

}  // namespace

Modem::Modem(ModemConfig config)
    : config_(std::move(config)),
      profile_(find_module(config_.module)),
      dialect_(find_dialect(config_.dialect)),
      errnos_(make_errno_table(dialect_, profile_)),
      sched_(config_.clock),
      resolver_(sched_),
      rng_(config_.seed),
      blackhole_(std::make_shared<Blackhole>()),
      table_(static_cast<std::size_t>(profile_.socket_limit)) {
    init_logging();
    if (config_.clock == ClockMode::virtual_time && config_.host_network) {
        throw UsageError(
            "virtual time cannot reach the host network: the PC's sockets run in real time. "
            "Use --clock real, or serve every address from the scenario's virtual hosts");
    }
    trace_.keep_in_memory(config_.trace_in_memory);
    if (!config_.trace_path.empty()) trace_.open(config_.trace_path);
    for (const auto& [name, addresses] : config_.dns) {
        if (addresses.empty()) throw UsageError("dns: '" + name + "' has no address");
        for (const auto& a : addresses)
            resolver_.add(name, parse_zone_address(name, a));
    }
    resolver_.set_host_lookup(config_.host_network && config_.clock == ClockMode::real);
    sched_.set_deadlock_handler([this] {
        halt_locked(
            "deadlock: every device thread is waiting and nothing is scheduled; in virtual time "
            "the script would wait forever");
    });

    const auto span = static_cast<std::uint64_t>(kEphemeralLast - kEphemeralFirst + 1);
    next_ephemeral_tcp_ = static_cast<std::uint16_t>(kEphemeralFirst + rng_() % span);
    next_ephemeral_udp_ = static_cast<std::uint16_t>(kEphemeralFirst + rng_() % span);
    setup_default_network();

    if (config_.clock == ClockMode::real) {
        sched_.start_io();
        if (config_.host_network) {
            const auto expose = parse_ip(config_.expose_ip);
            if (!expose)
                throw UsageError("not an IP address to expose servers on: '" + config_.expose_ip +
                                 "'");
            gateway_ = std::make_unique<HostGateway>(*this, *expose);
        }
    }
    auto lk = lock();
    const auto* pdp = cellular_.first_active();
    trace_event(TraceEvent(sched_.now(), "power_on")
                    .str("module", profile_.model)
                    .str("dialect", dialect_.name)
                    .str("clock", to_string(config_.clock))
                    .num("seed", static_cast<std::int64_t>(config_.seed))
                    .str("ip", pdp ? pdp->ip.to_string() : ""));
}

Modem::~Modem() {
    {
        auto lk = lock();
        sched_.halt("the module was powered off");
        if (gateway_) gateway_->shutdown();
    }
    // Stop Asio before anything its handlers refer to goes away.
    sched_.stop_io();
    auto lk = lock();
    gateway_.reset();
    lingering_.clear();
    trace_.flush();
}

void Modem::setup_default_network() {
    // Default: SIM ready, registered home, PDP 1 active with a 10.x address
    // (drawn from the seed) and the two DNS servers the QuecPython docs show.
    auto& p = cellular_.pdp(1);
    p.apn = profile_.default_apn;
    p.ip_type = 0;
    p.active = true;
    const auto b = static_cast<unsigned>(rng_() % 256);
    const auto c = static_cast<unsigned>(rng_() % 256);
    const auto d = static_cast<unsigned>(2 + rng_() % 250);
    p.ip = IpAddress(boost::asio::ip::make_address_v4((10u << 24) | (b << 16) | (c << 8) | d));
    p.dns1 = IpAddress(boost::asio::ip::make_address_v4("58.242.2.2"));
    p.dns2 = IpAddress(boost::asio::ip::make_address_v4("218.104.78.2"));
}

// ---------------------------------------------------------------- device calls

std::shared_ptr<Socket> Modem::open_socket(int af, int type, int proto) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    bool v6 = false;
    if (af == 2) {
        v6 = false;
    } else if (af == profile_.af_inet6) {
        v6 = true;
    } else {
        throw UsageError("address family must be AF_INET (2) or AF_INET6 (" +
                         std::to_string(profile_.af_inet6) + "), got " + std::to_string(af));
    }
    if (type < 1 || type > 3) {
        throw UsageError(
            "socket type must be SOCK_STREAM (1), SOCK_DGRAM (2) or SOCK_RAW (3), got " +
            std::to_string(type));
    }
    const int slot = free_slot();
    if (slot < 0) throw Error(errc::table_full);
    const int fd = profile_.fd_base + slot;
    auto s = std::make_shared<Socket>(*this, static_cast<SockType>(type), v6, proto, fd);
    table_[static_cast<std::size_t>(slot)] = s;
    trace_event(TraceEvent(sched_.now(), "socket")
                    .num("sock", static_cast<std::int64_t>(s->id()))
                    .num("fd", fd)
                    .num("af", af)
                    .num("type", type)
                    .num("proto", proto));
    return s;
}

std::vector<AddrInfo> Modem::getaddrinfo(const std::string& host, int port) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    if (port < 0 || port > 65535) throw Error(errc::dns_service);
    const std::string name = host.empty() ? "0.0.0.0" : host;
    if (name == "0.0.0.0" && dialect_.getaddrinfo_unspecified_fails) throw Error(errc::dns_null);
    if (!parse_ip(name) && !cellular_.data_ready()) {
        // No data call, no DNS server to ask.
        trace_event(
            TraceEvent(sched_.now(), "dns").str("name", name).str("answer", "no data call"));
        throw Error(errc::dns_fail);
    }
    std::vector<IpAddress> ips;
    try {
        ips = resolver_.resolve(lk, name);
    } catch (const Error&) {
        trace_event(TraceEvent(sched_.now(), "dns").str("name", name).str("answer", "failed"));
        throw;
    }
    trace_event(
        TraceEvent(sched_.now(), "dns").str("name", name).str("answer", ips.front().to_string()));
    return {AddrInfo{ips.front().is_v6(), ips.front().to_string(), port}};
}

void Modem::sleep(Duration d) {
    auto lk = lock();
    sched_.sleep_until(lk, sched_.now() + std::max(d, Duration{0}));
}

std::uint16_t Modem::exposed_port(std::uint16_t device_port) {
    auto lk = lock();
    return gateway_ ? gateway_->exposed_port(device_port) : 0;
}

int Modem::open_sockets() {
    auto lk = lock();
    return static_cast<int>(
        std::count_if(table_.begin(), table_.end(), [](const auto& w) { return !w.expired(); }));
}

void Modem::halt(const std::string& reason) {
    auto lk = lock();
    halt_locked(reason);
}

void Modem::halt_locked(const std::string& reason) {
    if (sched_.halted()) return;
    trace_event(TraceEvent(sched_.now(), "halt").str("reason", reason));
    sched_.halt(reason);
    trace_.flush();
}

void Modem::halt_after(Duration d, const std::string& reason) {
    auto lk = lock();
    sched_.call_after(d, [this, reason] { halt_locked(reason); });
}

std::string Modem::halt_reason() {
    auto lk = lock();
    return sched_.halt_reason();
}

bool Modem::halted() {
    auto lk = lock();
    return sched_.halted();
}

void Modem::wait_halted() {
    auto lk = lock();
    WaitQueue never;
    try {
        sched_.wait_until(lk, never, std::nullopt, [] { return false; });
    } catch (const Halted&) {
    }
}

void Modem::attach_thread(const std::string& name) {
    auto lk = lock();
    sched_.attach_current(lk, name);
}

void Modem::detach_thread() {
    auto lk = lock();
    sched_.leave(lk);
}

// ---------------------------------------------------------------- the stack

std::optional<IpAddress> Modem::device_ip(bool v6) const {
    const PdpContext* p = cellular_.first_active();
    if (!p) return std::nullopt;
    if (v6) {
        if (p->ip_type == 0 || p->ip6.is_unspecified()) return std::nullopt;
        return p->ip6;
    }
    if (p->ip_type == 1) return std::nullopt;
    return p->ip;
}

bool Modem::is_device_address(const IpAddress& ip) const {
    for (int id = 1; id <= Cellular::kPdpCount; ++id) {
        const auto& p = cellular_.pdp(id);
        if (p.active && (p.ip == ip || p.ip6 == ip)) return true;
    }
    return false;
}

int Modem::free_slot() const noexcept {
    // lwIP alloc_socket() takes the lowest free slot.
    for (std::size_t i = 0; i < table_.size(); ++i) {
        if (table_[i].expired()) return static_cast<int>(i);
    }
    return -1;
}

int Modem::allocate_fd(const std::shared_ptr<Socket>& s) {
    const int slot = free_slot();
    if (slot < 0) throw Error(errc::table_full);
    table_[static_cast<std::size_t>(slot)] = s;
    return profile_.fd_base + slot;
}

void Modem::release_fd(int fd) noexcept {
    const int slot = fd - profile_.fd_base;
    if (slot >= 0 && slot < static_cast<int>(table_.size())) {
        table_[static_cast<std::size_t>(slot)].reset();
    }
}

bool Modem::port_in_use(SockType type, std::uint16_t port, const Socket* except) const {
    const auto uses = [&](const std::shared_ptr<Socket>& s) {
        return s && s.get() != except && s->type() == type && s->local_port() == port &&
               s->holds_port();
    };
    for (const auto& w : table_) {
        if (uses(w.lock())) return true;
    }
    for (const auto& [raw, s] : lingering_) {
        if (uses(s)) return true;
    }
    for (const auto& w : listeners_) {
        if (uses(w.lock())) return true;
    }
    return false;
}

std::uint16_t Modem::ephemeral_port(SockType type) {
    auto& next = type == SockType::dgram ? next_ephemeral_udp_ : next_ephemeral_tcp_;
    for (int tries = 0; tries <= kEphemeralLast - kEphemeralFirst; ++tries) {
        const std::uint16_t p = next;
        next = next == kEphemeralLast ? kEphemeralFirst : static_cast<std::uint16_t>(next + 1);
        if (!port_in_use(type, p, nullptr)) return p;
    }
    throw Error(errc::addr_in_use);
}

std::shared_ptr<Connection> Modem::open_connection(const std::shared_ptr<Socket>& from,
                                                   const Endpoint& local, const Endpoint& remote) {
    auto conn =
        std::make_shared<Connection>(sched_, next_connection_id(), LinkShape{}, LinkShape{});
    conn->set_endpoint(Side::a, local);
    conn->set_endpoint(Side::b, remote);
    conn->attach(Side::a, from);
    if (is_device_address(remote.ip)) {
        // Device to device: the module's own listener, or RST from the link.
        if (auto l = find_listener(remote)) conn->attach(Side::b, l);
        return conn;
    }
    if (gateway_) {
        conn->attach(Side::b, gateway_->connect(conn, remote));
        return conn;
    }
    conn->attach(Side::b, blackhole_);
    return conn;
}

std::shared_ptr<Socket> Modem::find_listener(const Endpoint& at) const {
    for (const auto& w : listeners_) {
        auto s = w.lock();
        if (s && !s->closed() && s->is_listener() && s->local_port() == at.port) return s;
    }
    return nullptr;
}

std::shared_ptr<Socket> Modem::find_udp(std::uint16_t port) const {
    for (const auto& w : bound_udp_) {
        auto s = w.lock();
        if (s && !s->closed() && s->local_port() == port) return s;
    }
    return nullptr;
}

void Modem::listening(const std::shared_ptr<Socket>& s) {
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [](const auto& w) { return w.expired(); }),
                     listeners_.end());
    listeners_.push_back(s);
    if (gateway_) {
        const std::uint16_t host_port = gateway_->expose(s, s->local_port());
        const auto ip = device_ip(s->is_v6());
        spdlog::info("device TCP server {}:{} is reachable from this PC at {}:{}",
                     ip ? ip->to_string() : "?", s->local_port(), config_.expose_ip, host_port);
        trace_event(TraceEvent(sched_.now(), "expose")
                        .num("sock", static_cast<std::int64_t>(s->id()))
                        .num("port", s->local_port())
                        .str("host", config_.expose_ip)
                        .num("host_port", host_port));
    }
}

void Modem::not_listening(const Socket* s) {
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [s](const auto& w) {
                                        auto l = w.lock();
                                        return !l || l.get() == s;
                                    }),
                     listeners_.end());
    if (gateway_) gateway_->unexpose(s);
}

void Modem::udp_bound(const std::shared_ptr<Socket>& s) {
    for (const auto& w : bound_udp_) {
        if (w.lock() == s) return;
    }
    bound_udp_.erase(std::remove_if(bound_udp_.begin(), bound_udp_.end(),
                                    [](const auto& w) { return w.expired(); }),
                     bound_udp_.end());
    bound_udp_.push_back(s);
}

void Modem::linger(std::shared_ptr<Socket> s) {
    const Socket* raw = s.get();
    lingering_[raw] = std::move(s);
}

void Modem::unlinger(const Socket* s) {
    lingering_.erase(s);
}

void Modem::send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& local,
                          const Endpoint& to, std::string data) {
    trace_event(TraceEvent(sched_.now(), "udp_send")
                    .num("sock", static_cast<std::int64_t>(from->id()))
                    .str("to", to.to_string())
                    .num("bytes", static_cast<std::int64_t>(data.size())));
    if (is_device_address(to.ip)) {
        auto target = find_udp(to.port);
        if (!target) return;  // nobody bound: the datagram is lost, as on the air
        sched_.call_at(sched_.now(), [w = std::weak_ptr<Socket>(target), data = std::move(data),
                                      local]() mutable {
            if (auto t = w.lock()) t->on_datagram(std::move(data), local);
        });
        return;
    }
    if (gateway_) gateway_->send_datagram(from, local.port, to, data);
}

void Modem::socket_closed(const Socket* s) {
    bound_udp_.erase(std::remove_if(bound_udp_.begin(), bound_udp_.end(),
                                    [s](const auto& w) {
                                        auto l = w.lock();
                                        return !l || l.get() == s;
                                    }),
                     bound_udp_.end());
    if (gateway_) gateway_->close_udp(s);
}

}  // namespace qpysim
