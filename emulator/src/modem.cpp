#include "qpysim/modem.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "qpysim/host_gateway.hpp"
#include "qpysim/log.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim {

namespace {

// 2026-01-01 00:00:00 +08:00: the RTC of a virtual-time run, so runs repeat.
constexpr std::int64_t kVirtualRtcStart = 1767196800;
// Time a registration takes after CFUN=1.
constexpr Duration kRegistration = 2s;

// lwIP's ephemeral port range: TCP_LOCAL_PORT_RANGE_START..END.
constexpr std::uint16_t kEphemeralFirst = 0xc000;
constexpr std::uint16_t kEphemeralLast = 0xffff;

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
      table_(static_cast<std::size_t>(config_.socket_limit.value_or(profile_.socket_limit))),
      net_(resolver_),
      faults_(mix64(config_.seed ^ 0x6661'756c'7473ULL) +
              static_cast<std::uint64_t>(config_.boot_count)),
      socket_limit_(config_.socket_limit.value_or(profile_.socket_limit)),
      sndbuf_(config_.sndbuf.value_or(profile_.sndbuf)),
      rcvbuf_(config_.rcvbuf.value_or(profile_.rcvbuf)),
      call_cost_(config_.call_cost.value_or(profile_.call_cost)),
      line_cost_(config_.line_cost.value_or(profile_.line_cost)) {
    init_logging();
    if (config_.clock == ClockMode::virtual_time && config_.host_network) {
        throw UsageError(
            "virtual time cannot reach the host network: the PC's sockets run in real time. "
            "Use --clock real, or serve every address from the scenario's virtual hosts");
    }
    if (config_.clock == ClockMode::virtual_time && !config_.forwards.empty()) {
        throw UsageError("forward: '" + config_.forwards.begin()->first + "' -> '" +
                         config_.forwards.begin()->second +
                         "' is a server on this PC, which virtual time cannot reach (the clock "
                         "is virtual, from --clock or the scenario's clock:). Use --clock real, "
                         "or serve it from the scenario's hosts:");
    }
    trace_.keep_in_memory(config_.trace_in_memory);
    if (!config_.trace_path.empty()) trace_.open(config_.trace_path, config_.trace_append);
    if (!config_.pcap_path.empty())
        capture_ = std::make_unique<PacketCapture>(config_.pcap_path, config_.trace_append);
    for (const auto& [name, addresses] : config_.dns) {
        if (addresses.empty()) throw UsageError("dns: '" + name + "' has no address");
        for (const auto& a : addresses)
            resolver_.add(name, parse_zone_address(name, a));
    }
    resolver_.set_host_lookup(config_.host_network && config_.clock == ClockMode::real);
    faults_.set_name_match(
        [this](const std::string& name, const IpAddress& ip) { return name_matches(name, ip); });
    sched_.set_keep_alive([this] { return listening_ && events_ahead_ > 0; });
    sched_.set_deadlock_handler([this] {
        halt_locked(
            "deadlock: every device thread is waiting and nothing is scheduled; in virtual time "
            "the script would wait forever");
    });

    const auto span = static_cast<std::uint64_t>(kEphemeralLast - kEphemeralFirst + 1);
    next_ephemeral_tcp_ = static_cast<std::uint16_t>(kEphemeralFirst + rng_() % span);
    next_ephemeral_udp_ = static_cast<std::uint16_t>(kEphemeralFirst + rng_() % span);
    draw_identity();
    setup_default_network();
    if (config_.rtc_start) {
        rtc_start_ = *config_.rtc_start;
    } else if (config_.clock == ClockMode::virtual_time) {
        rtc_start_ = kVirtualRtcStart;
    } else {
        rtc_start_ = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    }
    net_.build(config_.hosts, *this);
    for (const auto& [from, to] : config_.forwards)
        add_forward(from, to);

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
                    .str("ip", pdp ? pdp->ip.to_string() : "")
                    .num("boot", config_.boot_count)
                    .str("scenario_time", format_time(config_.timeline_offset)));
    for (const auto& spec : config_.faults)
        apply_fault_locked(spec, "scenario");
    start_timeline();
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
    auto lingering = std::move(lingering_);  // a freed pcb unlingers itself
    lingering.clear();
    trace_.flush();
}

void Modem::setup_default_network() {
    // Default: SIM ready, registered home, PDP 1 active with a 10.x address
    // (drawn from the seed) and the two DNS servers the QuecPython docs show.
    // PDP 1 activates at boot and reconnects after losses, as the firmware
    // does when the script has not said otherwise.
    for (int id = 1; id <= Cellular::kPdpCount; ++id)
        cellular_.pdp(id).apn = profile_.default_apn;
    if (config_.network_operator) cellular_.network_operator() = *config_.network_operator;
    if (config_.csq) set_csq(*config_.csq);
    if (config_.sim) cellular_.set_sim_status(*config_.sim);
    RegState reg = config_.registration.value_or(RegState::home);
    if (cellular_.sim_status() != SimStatus::ready) reg = RegState::not_searching;
    cellular_.set_reg_state(reg);
    std::vector<PdpSetup> setup = config_.pdp;
    if (setup.empty()) setup.push_back(PdpSetup{});
    for (const auto& ps : setup) {
        auto& p = cellular_.pdp(ps.id);
        p.ip_type = ps.ip_type;
        if (!ps.apn.empty()) p.apn = ps.apn;
        p.username = ps.username;
        p.password = ps.password;
        p.auth_type = ps.auth_type;
        p.auto_activate = ps.auto_connect;
        p.auto_connect = ps.auto_connect;
        p.fixed_ip = ps.address;
        if (!ps.active || !cellular_.registered()) continue;
        p.active = true;
        if (p.ip_type != 1) p.ip = (p.fixed_ip ? *p.fixed_ip : draw_device_ip());
        if (p.ip_type != 0) p.ip6 = draw_device_ip6();
        p.dns1 = IpAddress(boost::asio::ip::make_address_v4("58.242.2.2"));
        p.dns2 = IpAddress(boost::asio::ip::make_address_v4("218.104.78.2"));
    }
}

IpAddress Modem::draw_device_ip() {
    const auto b = static_cast<unsigned>(rng_() % 256);
    const auto c = static_cast<unsigned>(rng_() % 256);
    const auto d = static_cast<unsigned>(2 + rng_() % 250);
    return IpAddress(boost::asio::ip::make_address_v4((10u << 24) | (b << 16) | (c << 8) | d));
}

IpAddress Modem::draw_device_ip6() {
    boost::asio::ip::address_v6::bytes_type bytes{};
    bytes[0] = 0x24;
    bytes[1] = 0x08;  // a carrier-assigned 2408::/16 prefix
    for (std::size_t i = 2; i < bytes.size(); ++i)
        bytes[i] = static_cast<unsigned char>(rng_() % 256);
    return IpAddress(boost::asio::ip::address_v6(bytes));
}

namespace {

std::string digits(std::mt19937_64& rng, int n) {
    std::string s;
    for (int i = 0; i < n; ++i)
        s += static_cast<char>('0' + rng() % 10);
    return s;
}

// The Luhn check digit IMEIs and ICCIDs end with.
char luhn(const std::string& body) {
    int sum = 0;
    bool dbl = true;
    for (auto it = body.rbegin(); it != body.rend(); ++it) {
        int d = *it - '0';
        if (dbl) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace

void Modem::draw_identity() {
    auto& id = cellular_.identity();
    const std::string imei = "86" + digits(rng_, 12);
    id.imei = imei + luhn(imei);
    id.imsi =
        cellular_.network_operator().mcc + cellular_.network_operator().mnc + digits(rng_, 10);
    const std::string iccid = "898600" + digits(rng_, 13);
    id.iccid = iccid + luhn(iccid);
    id.phone_number = "1" + std::string(1, "3578"[rng_() % 4]) + digits(rng_, 9);
    static constexpr char kAlnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    id.serial = "D1Q2";
    for (int i = 0; i < 13; ++i)
        id.serial += kAlnum[rng_() % (sizeof(kAlnum) - 1)];
}

void Modem::add_forward(const std::string& from, const std::string& to) {
    const auto split = [&](const std::string& hp, const char* which) {
        const auto colon = hp.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == hp.size()) {
            throw UsageError("forward " + std::string(which) + " '" + hp + "' must be host:port");
        }
        std::string host = hp.substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        int port = 0;
        try {
            port = std::stoi(hp.substr(colon + 1));
        } catch (const std::exception&) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw UsageError("forward " + std::string(which) + " '" + hp + "': bad port");
        }
        return std::pair{host, static_cast<std::uint16_t>(port)};
    };
    const auto [dev_host, dev_port] = split(from, "from");
    const auto [pc_host, pc_port] = split(to, "to");
    const auto pc_ip = parse_ip(pc_host == "localhost" ? "127.0.0.1" : pc_host);
    if (!pc_ip) throw UsageError("forward to '" + to + "': the PC side must be an IP address");
    IpAddress dev_ip;
    if (auto ip = parse_ip(dev_host)) {
        dev_ip = *ip;
    } else {
        // A name with no DNS entry resolves to an address of the benchmarking
        // range 198.18.0.0/15 (RFC 2544), one per forwarded name.
        const auto& zone = resolver_.zone();
        const auto it = zone.find(Resolver::normalize(dev_host));
        if (it != zone.end()) {
            dev_ip = it->second.front();
        } else {
            dev_ip = IpAddress(boost::asio::ip::make_address_v4(
                (198u << 24) | (18u << 16) | static_cast<unsigned>(1 + forward_to_.size())));
            resolver_.add(dev_host, dev_ip);
        }
    }
    forward_to_[Endpoint{dev_ip, dev_port}.to_string()] = Endpoint{*pc_ip, pc_port};
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
    } else if (dialect_.socket_family_oserror) {
        throw Error(errc::family_not_supported);
    } else {
        throw UsageError("address family must be AF_INET (2) or AF_INET6 (" +
                         std::to_string(profile_.af_inet6) + "), got " + std::to_string(af));
    }
    // An unknown type is EINVAL on every stack: lwIP 2.1 sockets.c lwip_socket()
    // (its switch's default: set_errno(EINVAL)) and the OS's socket(2) alike;
    // QuecPython's modsocket.c:309-318 raises lwIP's errno.
    if (type < 1 || type > 3) throw Error(errc::invalid_argument);
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
    const std::vector<IpAddress> ips = resolve(lk, name);
    return {AddrInfo{ips.front().is_v6(), ips.front().to_string(), port}};
}

void Modem::charge_call() {
    if (!sched_.is_virtual()) return;
    auto lk = lock();
    sched_.charge(lk, call_cost_);
}

void Modem::set_listening(bool on) {
    auto lk = lock();
    listening_ = on;
}

std::uint64_t Modem::events_ahead() {
    auto lk = lock();
    return events_ahead_ + events_.size() + (handling_event_ ? 1 : 0);
}

void Modem::event_at(DeviceTime when, TimerFn fn) {
    ++events_ahead_;
    sched_.call_at(when, [this, fn = std::move(fn)]() mutable {
        --events_ahead_;
        fn();
    });
}

void Modem::charge_lines(std::uint64_t lines) {
    if (!sched_.is_virtual()) return;
    auto lk = lock();
    sched_.charge(lk, line_cost_ * static_cast<std::int64_t>(lines), false);
}

void Modem::sleep(Duration d) {
    auto lk = lock();
    sched_.sleep_until(lk, sched_.now() + std::max(d, Duration{0}));
}

std::uint16_t Modem::exposed_port(std::uint16_t device_port, bool udp) {
    auto lk = lock();
    if (!gateway_) return 0;
    return udp ? gateway_->exposed_udp_port(device_port) : gateway_->exposed_port(device_port);
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

bool Modem::lost_power() const {
    if (!sched_.halted()) return false;
    const std::string& r = sched_.halt_reason();
    return r.rfind(kRebootReason, 0) == 0 || r == kRestartReason;
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
    sched_.wait_halted(lk);
}

void Modem::attach_thread(const std::string& name) {
    auto lk = lock();
    sched_.attach_current(lk, name);
}

void Modem::detach_thread() {
    auto lk = lock();
    sched_.leave(lk);
}

// ---------------------------------------------------------------- cellular

void Modem::post_event(DeviceEvent ev) {
    constexpr std::size_t kMaxQueued = 256;  // nobody listening must not grow forever
    if (events_.size() >= kMaxQueued) events_.pop_front();
    events_.push_back(std::move(ev));
    sched_.notify(event_waiters_);
}

std::optional<DeviceEvent> Modem::next_event(std::optional<Duration> timeout) {
    auto lk = lock();
    handling_event_ = false;  // the caller is done with the one before
    std::optional<DeviceTime> deadline;
    if (timeout) deadline = sched_.now() + *timeout;
    if (!sched_.wait_until(lk, event_waiters_, deadline, [&] { return !events_.empty(); })) {
        return std::nullopt;
    }
    DeviceEvent ev = std::move(events_.front());
    events_.pop_front();
    handling_event_ = true;
    return ev;
}

bool Modem::activate_pdp_locked(int id, const char* why) {
    auto& p = cellular_.pdp(id);
    if (p.active) return true;
    if (cellular_.sim_status() != SimStatus::ready || !cellular_.registered() ||
        cellular_.modem_fun() != 1) {
        return false;
    }
    if (pdp_blocked_[static_cast<std::size_t>(id - 1)]) {
        // The network rejects the activation (a pdp_down fault holds).
        trace_event(
            TraceEvent(sched_.now(), "pdp").num("id", id).str("state", "rejected").str("why", why));
        return false;
    }
    p.active = true;
    // Every attach gets a new address from the network, as a real PDN gateway
    // gives, unless the APN hands out a fixed one.
    if (p.ip_type != 1) p.ip = (p.fixed_ip ? *p.fixed_ip : draw_device_ip());
    if (p.ip_type != 0) p.ip6 = draw_device_ip6();
    p.dns1 = IpAddress(boost::asio::ip::make_address_v4("58.242.2.2"));
    p.dns2 = IpAddress(boost::asio::ip::make_address_v4("218.104.78.2"));
    trace_event(TraceEvent(sched_.now(), "pdp")
                    .num("id", id)
                    .str("state", "active")
                    .str("ip", p.ip_type == 1 ? p.ip6.to_string() : p.ip.to_string())
                    .str("why", why));
    post_event(DeviceEvent{"pdp", {id, 1}});
    device_event("pdp_active");
    return true;
}

void Modem::deactivate_pdp_locked(int id, const char* why) {
    auto& p = cellular_.pdp(id);
    if (!p.active) return;
    p.active = false;
    const IpAddress v4 = p.ip;
    const IpAddress v6 = p.ip6;
    // lwIP aborts every pcb bound to an address the netif loses (ERR_ABRT):
    // the script sees ECONNABORTED; the peer is told nothing.
    std::vector<std::shared_ptr<Socket>> hit;
    const auto consider = [&](const std::shared_ptr<Socket>& s) {
        if (!s) return;
        const auto l = s->local_endpoint_unlocked();
        if (l && (l->ip == v4 || (!v6.is_unspecified() && l->ip == v6))) hit.push_back(s);
    };
    for (const auto& w : table_)
        consider(w.lock());
    for (const auto& s : lingering_)
        consider(s);
    for (auto& s : hit)
        s->drop_silently(errc::conn_aborted);
    if (gateway_) {
        for (auto& s : hit)
            gateway_->close_udp(s.get());
    }
    p.ip = IpAddress(boost::asio::ip::address_v4::any());
    p.ip6 = IpAddress(boost::asio::ip::address_v6::any());
    trace_event(TraceEvent(sched_.now(), "pdp")
                    .num("id", id)
                    .str("state", "inactive")
                    .num("sockets_aborted", static_cast<std::int64_t>(hit.size()))
                    .str("why", why));
    post_event(DeviceEvent{"pdp", {id, 0}});
    device_event("pdp_inactive");
}

void Modem::deregister_locked(RegState to, const char* why) {
    ++registration_epoch_;  // a registration in progress is abandoned
    const bool was = cellular_.registered();
    cellular_.set_reg_state(to);
    if (was) device_event("deregistered");
    trace_event(TraceEvent(sched_.now(), "registration")
                    .num("state", static_cast<int>(to))
                    .str("why", why));
    for (int id = 1; id <= Cellular::kPdpCount; ++id)
        deactivate_pdp_locked(id, why);
}

void Modem::register_later(Duration after) {
    const std::uint64_t epoch = ++registration_epoch_;
    cellular_.set_reg_state(RegState::searching);
    trace_event(TraceEvent(sched_.now(), "registration").num("state", 2).str("why", "searching"));
    event_at(sched_.now() + after, [this, epoch] {
        if (epoch != registration_epoch_ || cellular_.modem_fun() != 1 ||
            cellular_.sim_status() != SimStatus::ready) {
            return;
        }
        cellular_.set_reg_state(RegState::home);
        trace_event(
            TraceEvent(sched_.now(), "registration").num("state", 1).str("why", "attached"));
        device_event("registered");
        // The firmware brings back the data calls set to activate or reconnect.
        event_at(sched_.now() + kPdpActivation, [this, epoch] {
            if (epoch != registration_epoch_) return;
            for (int id = 1; id <= Cellular::kPdpCount; ++id) {
                const auto& p = cellular_.pdp(id);
                if (p.auto_activate || p.auto_connect) activate_pdp_locked(id, "auto");
            }
        });
    });
}

bool Modem::activate_pdp(int id) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    cellular_.pdp(id);  // range check
    if (cellular_.pdp(id).active) return true;
    // Bringing a data call up takes a moment of device time.
    sched_.sleep_until(lk, sched_.now() + kPdpActivation);
    return activate_pdp_locked(id, "dataCall.activate");
}

bool Modem::deactivate_pdp(int id) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    cellular_.pdp(id);
    deactivate_pdp_locked(id, "dataCall.deactivate");
    return true;
}

bool Modem::set_modem_fun(int fun) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    if (fun != 0 && fun != 1 && fun != 4) return false;
    set_modem_fun_locked(fun);
    return true;
}

void Modem::set_modem_fun_locked(int fun) {
    const int before = cellular_.modem_fun();
    cellular_.set_modem_fun(fun);
    trace_event(TraceEvent(sched_.now(), "modem_fun").num("from", before).num("to", fun));
    if (fun == before) return;
    if (fun == 1) {
        if (cellular_.sim_status() == SimStatus::absent && before == 0) {
            cellular_.set_sim_status(SimStatus::ready);  // the SIM is powered again
        }
        register_later(kRegistration);
    } else {
        deregister_locked(RegState::not_searching,
                          fun == 4 ? "airplane mode" : "minimum functionality");
        if (fun == 0) cellular_.set_sim_status(SimStatus::absent);  // SIM power is cut
    }
}

void Modem::set_sim_status(SimStatus s) {
    auto lk = lock();
    set_sim_status_locked(s, "set");
}

void Modem::set_sim_status_locked(SimStatus s, const std::string& why) {
    const SimStatus before = cellular_.sim_status();
    cellular_.set_sim_status(s);
    trace_event(TraceEvent(sched_.now(), "sim").num("status", static_cast<int>(s)).str("why", why));
    if (s != before) post_event(DeviceEvent{"sim", {static_cast<int>(s)}});
    if (s != SimStatus::ready && before == SimStatus::ready) {
        deregister_locked(RegState::not_searching, "SIM not ready");
    } else if (s == SimStatus::ready && before != SimStatus::ready && cellular_.modem_fun() == 1) {
        register_later(kRegistration);
    }
}

void Modem::set_reg_state(RegState r) {
    auto lk = lock();
    set_reg_state_locked(r, "set");
}

void Modem::set_reg_state_locked(RegState r, const std::string& why) {
    const bool was = cellular_.registered();
    if (r == RegState::home || r == RegState::roaming) {
        ++registration_epoch_;
        cellular_.set_reg_state(r);
        trace_event(TraceEvent(sched_.now(), "registration")
                        .num("state", static_cast<int>(r))
                        .str("why", why));
        if (!was) {
            device_event("registered");
            for (int id = 1; id <= Cellular::kPdpCount; ++id) {
                const auto& p = cellular_.pdp(id);
                if (p.auto_activate || p.auto_connect) activate_pdp_locked(id, "auto");
            }
        }
    } else {
        deregister_locked(r, why.c_str());
    }
}

void Modem::configure_pdp(int id, int ip_type, const std::string& apn, const std::string& user,
                          const std::string& password, int auth_type) {
    auto lk = lock();
    auto& p = cellular_.pdp(id);
    p.ip_type = ip_type;
    p.apn = apn;
    p.username = user;
    p.password = password;
    p.auth_type = auth_type;
}

void Modem::set_auto(int id, bool activate, bool connect) {
    auto lk = lock();
    auto& p = cellular_.pdp(id);
    p.auto_activate = activate;
    p.auto_connect = connect;
}

void Modem::set_net_config(int mode, bool roaming) {
    auto lk = lock();
    cellular_.set_net_config(mode, roaming);
}

Cellular Modem::cellular_snapshot() {
    auto lk = lock();
    return cellular_;
}

std::array<int, 3> Modem::registration() {
    auto lk = lock();
    const Radio& r = cellular_.radio();
    return {static_cast<int>(cellular_.reg_state()), static_cast<int>(r.tac),
            static_cast<int>(r.cid)};
}

double Modem::network_time() const {
    return static_cast<double>(rtc_start_) + to_seconds(sched_.now());
}

double Modem::rtc_now() {
    return network_time() + rtc_adjust_;
}

void Modem::set_rtc(double unix_seconds) {
    auto lk = lock();
    rtc_adjust_ = unix_seconds - network_time();
    trace_event(
        TraceEvent(sched_.now(), "rtc").num("set", static_cast<std::int64_t>(unix_seconds)));
}

// ---------------------------------------------------------------- threads and poll

Participant* Modem::spawn_thread(const std::string& name, bool daemon) {
    auto lk = lock();
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    trace_event(TraceEvent(sched_.now(), "thread").str("name", name).str("event", "start"));
    return sched_.spawn(name, daemon);
}

void Modem::enter_thread(Participant* p) {
    auto lk = lock();
    sched_.enter(lk, p);
}

void Modem::stop_thread(std::thread::id id) {
    auto lk = lock();
    sched_.interrupt(id);
}

std::vector<int> Modem::poll(const std::vector<std::pair<std::shared_ptr<Socket>, int>>& sockets,
                             std::optional<Duration> timeout) {
    auto lk = lock();
    sched_.charge(lk, call_cost_);
    constexpr int always = poll_err | poll_hup | poll_nval;
    std::vector<int> events(sockets.size(), 0);
    const auto ready = [&] {
        bool any = false;
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            events[i] = sockets[i].first->poll_events() & (sockets[i].second | always);
            any = any || events[i] != 0;
        }
        return any;
    };
    std::optional<DeviceTime> deadline;
    if (timeout) deadline = sched_.now() + *timeout;
    if (timeout && timeout->count() == 0) {
        ready();
        return events;
    }
    sched_.wait_until(lk, pollers_, deadline, ready, true);
    ready();
    return events;
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
    const auto limit = std::min(table_.size(), static_cast<std::size_t>(socket_limit_));
    for (std::size_t i = 0; i < limit; ++i) {
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
    for (const auto& s : lingering_) {
        if (uses(s)) return true;
    }
    for (const auto& w : listeners_) {
        if (uses(w.lock())) return true;
    }
    return false;
}

bool Modem::port_listened(std::uint16_t port, const Socket* except) const {
    for (const auto& w : listeners_) {
        const auto s = w.lock();
        if (s && s.get() != except && s->local_port() == port && !s->closed()) return true;
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
    auto conn = make_connection(from->host_side() ? Side::b : Side::a);
    conn->set_endpoint(Side::a, local);
    conn->set_endpoint(Side::b, remote);
    conn->attach(Side::a, from);
    if (is_device_address(remote.ip)) {
        // Device to device: the module's own listener, or RST from the link.
        if (auto l = find_listener(remote)) conn->attach(Side::b, l);
        return conn;
    }
    if (net_.find(remote.ip)) {
        // A virtual host: a Python peer listening, a built-in service, or a
        // closed port (the link answers with RST).
        if (auto l = find_listener(remote)) {
            conn->attach(Side::b, l);
        } else if (auto service = net_.tcp_service(remote)) {
            auto end = std::make_shared<PeerEnd>(*this, conn, Side::b, service->open_session());
            peers_[end.get()] = end;
            conn->attach(Side::b, end);
            trace_event(TraceEvent(sched_.now(), "service")
                            .num("conn", static_cast<std::int64_t>(conn->id()))
                            .str("at", remote.to_string()));
        }
        return conn;
    }
    if (gateway_) {
        Endpoint target = remote;
        if (const auto f = forward_to_.find(remote.to_string()); f != forward_to_.end()) {
            target = f->second;
            trace_event(TraceEvent(sched_.now(), "forward")
                            .num("sock", static_cast<std::int64_t>(from->id()))
                            .str("to", remote.to_string())
                            .str("via", target.to_string()));
        }
        conn->attach(Side::b, gateway_->connect(conn, target));
        return conn;
    }
    conn->attach(Side::b, net_.nobody());
    return conn;
}

std::shared_ptr<Socket> Modem::find_listener(const Endpoint& at) const {
    const bool device = is_device_address(at.ip);
    for (const auto& w : device ? listeners_ : host_listeners_) {
        auto s = w.lock();
        if (!s || s->closed() || !s->is_listener() || s->local_port() != at.port) continue;
        const auto& l = s->local_endpoint_unlocked();
        // Device listeners are bound to the data call's address (or any).
        if (device || (l && l->ip == at.ip)) return s;
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
    if (s->host_side()) return;  // a virtual host's listener: Modem::open_host_listener has it
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [](const auto& w) { return w.expired(); }),
                     listeners_.end());
    listeners_.push_back(s);
    if (gateway_) expose(s, "TCP", gateway_->expose(s, s->local_port()));
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

void Modem::udp_bound(const std::shared_ptr<Socket>& s, bool server) {
    if (s->host_side()) return;
    if (server && gateway_) expose(s, "UDP", gateway_->expose_udp(s, s->local_port()));
    for (const auto& w : bound_udp_) {
        if (w.lock() == s) return;
    }
    bound_udp_.erase(std::remove_if(bound_udp_.begin(), bound_udp_.end(),
                                    [](const auto& w) { return w.expired(); }),
                     bound_udp_.end());
    bound_udp_.push_back(s);
}

void Modem::expose(const std::shared_ptr<Socket>& s, const char* proto, std::uint16_t host_port) {
    const auto ip = device_ip(s->is_v6());
    spdlog::info("device {} server {}:{} is reachable from this PC at {}:{}", proto,
                 ip ? ip->to_string() : "?", s->local_port(),
                 s->is_v6() ? std::string("::1") : config_.expose_ip, host_port);
    trace_event(TraceEvent(sched_.now(), "expose")
                    .num("sock", static_cast<std::int64_t>(s->id()))
                    .str("proto", proto)
                    .num("port", s->local_port())
                    .str("host", s->is_v6() ? std::string("::1") : config_.expose_ip)
                    .num("host_port", host_port));
}

void Modem::linger(std::shared_ptr<Socket> s) {
    if (std::find(lingering_.begin(), lingering_.end(), s) == lingering_.end()) {
        lingering_.push_back(std::move(s));
    }
    // lwIP's pcb pool is fixed: when closed connections pile up in TIME-WAIT,
    // tcp_alloc recycles the oldest of them (tcp_kill_timewait). Keep as many
    // as the socket table holds, so a loop of connect/close stays bounded.
    std::size_t in_time_wait = 0;
    Socket* oldest = nullptr;
    DeviceTime oldest_until{};
    for (const auto& entry : lingering_) {
        const auto until = entry->time_wait_until();
        if (!until) continue;
        ++in_time_wait;
        if (!oldest || *until < oldest_until) {  // ties: the first to close
            oldest = entry.get();
            oldest_until = *until;
        }
    }
    if (oldest && in_time_wait > static_cast<std::size_t>(std::max(socket_limit_, 1))) {
        oldest->recycle_time_wait();  // frees the pcb: unlinger() erases the entry
    }
}

void Modem::unlinger(const Socket* s) {
    lingering_.erase(std::remove_if(lingering_.begin(), lingering_.end(),
                                    [s](const auto& p) { return p.get() == s; }),
                     lingering_.end());
}

void Modem::send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& local,
                          const Endpoint& to, std::string data) {
    trace_event(TraceEvent(sched_.now(), "udp_send")
                    .num("sock", static_cast<std::int64_t>(from->id()))
                    .str("to", to.to_string())
                    .num("bytes", static_cast<std::int64_t>(data.size())));
    route_datagram(local, to, std::move(data), from);
}

void Modem::send_datagram_from(const Endpoint& from, const Endpoint& to, std::string data,
                               std::uint64_t /*sock_id*/) {
    route_datagram(from, to, std::move(data), nullptr);
}

void Modem::route_datagram(const Endpoint& from, const Endpoint& to, std::string data,
                           const std::shared_ptr<Socket>& device_sender) {
    std::shared_ptr<DatagramSink> sink;
    std::optional<Endpoint> via_gateway;
    const bool to_device = is_device_address(to.ip);
    if (to_device) {
        sink = find_udp(to.port);
    } else if (net_.find(to.ip)) {
        sink = net_.udp_service(to);
    } else if (gateway_ && device_sender) {
        const auto f = forward_to_.find(to.to_string());
        via_gateway = f == forward_to_.end() ? to : f->second;
    }
    // The device's wire: what it sends leaves it even if nobody is there.
    if (capture_ && device_sender) capture_->udp(sched_.now(), from, to, data);
    if (!sink && !via_gateway) return;  // nobody there: the datagram is lost, as on the air
    // The radio link's faults: up when the device sends, down when it receives.
    LinkInfo link;
    link.device = device_sender ? from : to;
    link.peer = device_sender ? to : from;
    link.device_socket = device_sender ? device_sender->id() : 0;
    const auto c =
        datagram_faults(link, device_sender ? Direction::up : Direction::down, data.size());
    if (!c) return;
    if (via_gateway) {
        sched_.call_at(c->arrival, [this, w = std::weak_ptr<Socket>(device_sender), to,
                                    target = *via_gateway, data = std::move(data)] {
            auto s = w.lock();
            if (s && !s->closed() && gateway_) gateway_->send_datagram(s, to, target, data);
        });
        return;
    }
    sched_.call_at(c->arrival, [this, w = std::weak_ptr<DatagramSink>(sink), data = std::move(data),
                                from, to, to_device]() mutable {
        if (capture_ && to_device) capture_->udp(sched_.now(), from, to, data);
        if (auto t = w.lock()) t->on_datagram(std::move(data), from);
    });
}

void Modem::datagram_from_host(const std::weak_ptr<Socket>& to, std::string data, Endpoint from) {
    auto s = to.lock();
    if (!s || s->closed()) return;
    LinkInfo link;
    link.device = s->local_endpoint_unlocked().value_or(Endpoint{});
    link.peer = from;
    link.device_socket = s->id();
    const auto c = datagram_faults(link, Direction::down, data.size());
    if (!c) return;
    sched_.call_at(c->arrival,
                   [this, to, data = std::move(data), from, at = link.device]() mutable {
                       if (capture_) capture_->udp(sched_.now(), from, at, data);
                       if (auto d = to.lock()) d->on_datagram(std::move(data), from);
                   });
}

void Modem::datagram_filtered(const std::weak_ptr<Socket>& to, const Endpoint& from,
                              std::size_t bytes) {
    auto s = to.lock();
    trace_event(TraceEvent(sched_.now(), "udp_filtered")
                    .num("sock", s ? static_cast<std::int64_t>(s->id()) : -1)
                    .str("from", from.to_string())
                    .num("bytes", static_cast<std::int64_t>(bytes)));
}

std::optional<Crossing> Modem::datagram_faults(const LinkInfo& link, Direction dir,
                                               std::size_t bytes) {
    Crossing c;
    c.udp = true;
    c.dir = dir;
    c.bytes = bytes;
    c.now = sched_.now();
    c.arrival = c.now;
    if (!faults_.has_link_faults()) return c;
    faults_.decide_datagram(link, c);
    if (!c.drop && !c.answer_rst) return c;
    const Endpoint& src = dir == Direction::up ? link.device : link.peer;
    const Endpoint& dst = dir == Direction::up ? link.peer : link.device;
    trace_event(TraceEvent(c.now, "udp_lost")
                    .str("from", src.to_string())
                    .str("to", dst.to_string())
                    .num("bytes", static_cast<std::int64_t>(bytes))
                    .str("fault", c.why));
    return std::nullopt;
}

void Modem::forget_peer(const PeerEnd* end) {
    peers_.erase(end);
}

std::optional<IpAddress> Modem::host_address(const std::string& host) {
    auto lk = lock();
    const auto* h = net_.find(host);
    return h ? std::optional<IpAddress>(h->ip) : std::nullopt;
}

std::shared_ptr<Service> Modem::service_at(const std::string& host, int port, bool udp) {
    const auto* h = net_.find(host);
    if (!h || port < 1 || port > 65535) return nullptr;
    const Endpoint at{h->ip, static_cast<std::uint16_t>(port)};
    return udp ? net_.udp_service(at) : net_.tcp_service(at);
}

TlsAuthority& Modem::tls_authority() {
    if (!tls_) tls_ = std::make_unique<TlsAuthority>(config_.seed);
    return *tls_;
}

std::string Modem::tls_ca_pem() {
    auto lk = lock();
    return tls_authority().ca_pem();
}

ServiceVerdict Modem::service_faults(const ServiceEvent& ev) {
    if (!faults_.has_service_faults()) return {};
    ServiceVerdict v = faults_.service(ev);
    if (v.acted() && tracing()) trace_event(service_effect_event(sched_.now(), ev, v));
    return v;
}

std::shared_ptr<Socket> Modem::open_host_socket(const std::string& host) {
    std::shared_ptr<Socket> s;
    IpAddress ip;
    {
        auto lk = lock();
        if (sched_.halted()) throw Halted(sched_.halt_reason());
        ip = net_.named(host).ip;
        s = std::make_shared<Socket>(*this, SockType::stream, ip.is_v6(), 6, -1);
        s->set_host_side();
    }
    s->bind(ip.to_string(), 0);
    return s;
}

std::shared_ptr<Socket> Modem::open_host_listener(const std::string& host, int port) {
    if (port < 1 || port > 65535) throw UsageError("port must be 1..65535");
    std::shared_ptr<Socket> s;
    IpAddress ip;
    {
        auto lk = lock();
        VirtualNetwork::Host& vh = net_.named(host);
        ip = vh.ip;
        const auto p = static_cast<std::uint16_t>(port);
        if (vh.tcp.count(p) || find_listener(Endpoint{ip, p})) {
            throw Error(errc::addr_in_use,
                        "port " + std::to_string(port) + " of " + host + " is already served");
        }
        s = std::make_shared<Socket>(*this, SockType::stream, ip.is_v6(), 6, -1);
        s->set_host_side();
    }
    s->bind(ip.to_string(), port);
    s->listen(128);
    auto lk = lock();
    host_listeners_.push_back(s);
    return s;
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

// ---------------------------------------------------------------- connections and DNS

std::shared_ptr<Connection> Modem::make_connection(Side device) {
    auto conn = std::make_shared<Connection>(sched_, next_connection_id(), this, device);
    if (connections_.size() >= 64 && connections_.size() == connections_.capacity()) {
        connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                          [](const auto& w) { return w.expired(); }),
                           connections_.end());
    }
    connections_.push_back(conn);
    return conn;
}

std::vector<IpAddress> Modem::resolve(std::unique_lock<std::mutex>& lk, const std::string& name) {
    if (parse_ip(name)) return resolver_.resolve(lk, name);
    device_event("dns");
    // The capture shows the lookup as a DNS query to the data call's server,
    // from a port of its own, and the answer when one comes.
    const PdpContext& pdp = cellular_.pdp(1);
    const DeviceTime asked = sched_.now();
    const std::uint16_t query = ++dns_query_id_;
    const Endpoint dns_self{pdp.ip, static_cast<std::uint16_t>(49152 + query % 16384)};
    const Endpoint dns_server{pdp.dns1.is_unspecified()
                                  ? IpAddress(boost::asio::ip::make_address_v4("8.8.8.8"))
                                  : pdp.dns1,
                              53};
    if (capture_)
        capture_->udp(sched_.now(), dns_self, dns_server,
                      PacketCapture::dns_query(query, name, false));
    const auto answer = [&](const std::vector<IpAddress>& ips, int rcode) {
        if (capture_)
            capture_->udp(sched_.now(), dns_server, dns_self,
                          PacketCapture::dns_answer(query, name, false, ips, rcode));
    };
    std::string fault;
    const DnsAnswer a = faults_.dns(name, fault);
    if (a.kind != DnsAnswer::Kind::pass) {
        trace_event(TraceEvent(sched_.now(), "fault_effect")
                        .str("fault", fault)
                        .str("effect", a.what)
                        .str("name", name));
        if (a.delay.count() > 0) sched_.sleep_until(lk, sched_.now() + a.delay);
    }
    std::vector<IpAddress> ips;
    try {
        if (a.kind == DnsAnswer::Kind::fail) throw Error(errc::dns_fail);
        if (a.kind == DnsAnswer::Kind::wrong) {
            ips = {*a.address};
        } else {
            ips = resolver_.resolve(lk, name);
        }
    } catch (const Error&) {
        trace_event(TraceEvent(sched_.now(), "dns").str("name", name).str("answer", "failed"));
        // A lookup that timed out got no answer; a refused one got its code.
        if (a.what != "timeout" && sched_.now() - asked < resolver_.timeout())
            answer({}, a.what == "SERVFAIL" ? 2 : 3);
        throw;
    }
    auto& known = answers_[Resolver::normalize(name)];
    for (const auto& ip : ips) {
        if (std::find(known.begin(), known.end(), ip) == known.end()) known.push_back(ip);
    }
    trace_event(
        TraceEvent(sched_.now(), "dns").str("name", name).str("answer", ips.front().to_string()));
    answer(ips, 0);
    return ips;
}

bool Modem::name_matches(const std::string& name, const IpAddress& ip) const {
    const std::string n = Resolver::normalize(name);
    const auto has = [&](const std::map<std::string, std::vector<IpAddress>>& m) {
        const auto it = m.find(n);
        return it != m.end() &&
               std::find(it->second.begin(), it->second.end(), ip) != it->second.end();
    };
    return has(resolver_.zone()) || has(answers_);
}

}  // namespace qpysim
