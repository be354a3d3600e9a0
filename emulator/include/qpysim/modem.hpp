// One emulated cellular module: its clock, cellular state, socket table,
// resolver, peers (the host gateway and, later, virtual hosts) and trace.
//
// The Modem is what the bindings hold. Its public device calls take the core
// lock themselves; the "stack" calls further down are for Socket and the peers
// and expect the lock held.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/cellular.hpp"
#include "qpysim/faults.hpp"
#include "qpysim/link.hpp"
#include "qpysim/pcap.hpp"
#include "qpysim/peripherals.hpp"
#include "qpysim/profile.hpp"
#include "qpysim/resolver.hpp"
#include "qpysim/scheduler.hpp"
#include "qpysim/script_step.hpp"
#include "qpysim/services.hpp"
#include "qpysim/socket.hpp"
#include "qpysim/timeline.hpp"
#include "qpysim/trace.hpp"
#include "qpysim/virtual_network.hpp"

namespace qpysim {

class HostGateway;

// Halt reasons that start with this mean the module rebooted (a reboot fault):
// `qpysim run` powers it on again and the script starts over.
inline constexpr const char* kRebootReason = "the module rebooted";
// misc.Power.powerRestart(): the halt reason the runtime gives.
inline constexpr const char* kRestartReason = "the script restarted the module";

struct ModemConfig {
    ClockMode clock = ClockMode::real;
    // The scenario's uart: scripted devices, by UART number (the device
    // runtime plays them; the core only carries them).
    std::map<int, UartPeer> uart_peers;
    // The scenario's i2c: devices, bus -> 7-bit address -> registers (the
    // device runtime answers the app's transfers from them).
    std::map<int, std::map<int, I2cDevice>> i2c_devices;
    std::string module = "EC600U";
    std::string dialect = "quecpython";
    std::uint64_t seed = 1;
    // Scenario `dns:` zone: name -> addresses.
    std::map<std::string, std::vector<std::string>> dns;
    // Reach the PC's network (host gateway) and resolver. Real time only.
    bool host_network = true;
    // Where device server sockets are exposed on the PC.
    std::string expose_ip = "127.0.0.1";
    // JSON Lines trace file; empty: none. Appended to rather than truncated
    // when the module reboots (powerRestart).
    std::string trace_path;
    bool trace_append = false;
    bool trace_in_memory = false;
    // pcapng capture of the device's packets (pcap.hpp); empty: none.
    // Appended to (a new section) with the trace when the module reboots.
    std::string pcap_path;
    // RTC at power-on, Unix seconds. Default: the PC's clock in real time,
    // 2026-01-01 00:00:00 +08:00 in virtual time (so runs repeat exactly).
    std::optional<std::int64_t> rtc_start;
    // misc.Power.powerOnReason(): 1 power key, 2 reset (after powerRestart)...
    int power_on_reason = 1;
    // How many times the module rebooted before this power-on.
    int boot_count = 0;
    // Device-visible destination -> PC destination ("host:port" both): the
    // gateway connects to the PC side when the device connects to the other.
    std::map<std::string, std::string> forwards;
    // Virtual hosts and their services (in-process peers).
    std::vector<HostConfig> hosts;
    // The cellular side at power-on (unset: SIM ready, registered home, CSQ 24).
    std::optional<SimStatus> sim;
    std::optional<RegState> registration;
    std::optional<int> csq;
    std::optional<Operator> network_operator;
    std::vector<PdpSetup> pdp;  // empty: context 1, IPv4, active, reconnecting
    // Module limits (unset: the model's).
    std::optional<int> socket_limit;
    std::optional<std::size_t> sndbuf;
    std::optional<std::size_t> rcvbuf;
    std::optional<Duration> call_cost;
    std::optional<Duration> line_cost;
    // Faults in force from power-on (the scenario's link: and faults:), and
    // the timeline, in scenario time; timeline_offset is the scenario time at
    // this power-on (the uptime of earlier boots).
    std::vector<FaultSpec> faults;
    std::vector<TimelineEntry> timeline;
    Duration timeline_offset{0};
};

// Something a device callback should hear about (dataCall.setCallback...).
struct DeviceEvent {
    std::string kind;  // "pdp", "netstate"...
    std::vector<std::int64_t> args;
};

// One getaddrinfo() answer.
struct AddrInfo {
    bool v6 = false;
    std::string ip;
    int port = 0;
};

class Modem final : public LinkHost, private ModuleControl {
  public:
    explicit Modem(ModemConfig config);
    ~Modem() override;
    Modem(const Modem&) = delete;
    Modem& operator=(const Modem&) = delete;

    // ---- the device calls (take the lock) ----
    // usocket.socket(af, type, proto), with the profile's constant values.
    std::shared_ptr<Socket> open_socket(int af, int type, int proto);
    // usocket.getaddrinfo(host, port): the first answer, as lwIP returns one.
    std::vector<AddrInfo> getaddrinfo(const std::string& host, int port);
    // Device-time sleep for the calling device thread.
    void sleep(Duration d);
    // A call into the module from the calling device thread: in virtual time
    // it costs call_cost of device time (Scheduler::charge).
    void charge_call();
    // Halted by a reboot (a fault or powerRestart): power was lost. Lock held.
    bool lost_power() const;
    // The script has device callbacks (dataCall, sim...): after it returns,
    // the module runs on while events that may call them are ahead
    // (events_ahead(): timeline occurrences, fault lifts, registration and
    // data calls coming back not yet due, and events queued or being handled).
    void set_listening(bool on);
    std::uint64_t events_ahead();
    // The timeline's next occurrence that will fire: its device time and the
    // fault it applies ("coverage_loss 'fade'"), for the progress line.
    std::optional<std::pair<DeviceTime, std::string>> next_timeline_event();
    // The calling device thread ran `lines` lines of plain Python (the spin
    // watch counts them): line_cost each, not a call.
    void charge_lines(std::uint64_t lines);
    Duration call_cost() const noexcept { return call_cost_; }
    Duration line_cost() const noexcept { return line_cost_; }

    // ---- cellular (take the lock) ----
    // dataCall.activate(): true on success (needs SIM, registration, full
    // functionality). Takes the activation time in device time.
    bool activate_pdp(int id);
    bool deactivate_pdp(int id);
    // net.setModemFun(): 0 minimum, 1 full, 4 airplane. 0/4 deregister and
    // drop data calls; 1 starts registration again (completes later).
    bool set_modem_fun(int fun);
    void set_sim_status(SimStatus s);
    void set_reg_state(RegState r);
    // Configure a PDP context (dataCall.setPDPContext).
    void configure_pdp(int id, int ip_type, const std::string& apn, const std::string& user,
                       const std::string& password, int auth_type);
    void set_auto(int id, bool activate, bool connect);
    void set_net_config(int mode, bool roaming);
    // Read a copy of the cellular state.
    Cellular cellular_snapshot();
    // What net.getState and checkNet poll, without copying the whole state:
    // registration state, then the serving cell's TAC and cell id.
    std::array<int, 3> registration();
    // RTC seconds (Unix time, UTC) now, as the module keeps it.
    double rtc_now();
    // Set the module's RTC (Unix seconds, UTC): what ntptime.settime and
    // machine.RTC do. The network's time (network_time()) does not move.
    void set_rtc(double unix_seconds);
    // The true time of the scenario's world (what an NTP server answers).
    double network_time() const;

    // ---- faults (take the lock) ----
    // Apply a fault now; returns its id (0 for an instant fault such as
    // reboot). Throws UsageError for a bad spec, naming what is wrong.
    std::uint64_t apply_fault(FaultSpec spec);
    // Lift every fault with this name (or id); returns how many were lifted.
    std::size_t lift_fault(const std::string& name_or_id);
    std::vector<Fault> active_faults();
    // Scenario time now: the device time since the first power-on.
    Duration scenario_time() const;

    // ---- device events (callbacks) ----
    // Wait for the next event (nullopt timeout: forever). Throws Halted.
    std::optional<DeviceEvent> next_event(std::optional<Duration> timeout);

    // ---- device threads ----
    Participant* spawn_thread(const std::string& name, bool daemon);
    void enter_thread(Participant* p);
    void stop_thread(std::thread::id id);

    // ---- virtual hosts (for Python peers) ----
    // A listening socket on a virtual host (created if `host` is a new name),
    // outside the module's socket table. Throws Error(addr_in_use).
    std::shared_ptr<Socket> open_host_listener(const std::string& host, int port);
    // A TCP socket on a virtual host (created if new), bound to an ephemeral
    // port, for a Python peer that connects to a device server.
    std::shared_ptr<Socket> open_host_socket(const std::string& host);
    // The address a virtual host answers on, or nullopt.
    std::optional<IpAddress> host_address(const std::string& host);
    // The service on a virtual host's port (lock held), or null.
    std::shared_ptr<Service> service_at(const std::string& host, int port, bool udp);
    // The run's CA certificate (PEM), which signs the certificates of `tls:`
    // services; made from the seed on first use.
    std::string tls_ca_pem();

    // ---- select.poll over device sockets ----
    // Wait until one of the sockets has an event in its mask (or POLLERR,
    // POLLHUP, POLLNVAL), or the timeout passes. Returns each socket's events.
    std::vector<int> poll(const std::vector<std::pair<std::shared_ptr<Socket>, int>>& sockets,
                          std::optional<Duration> timeout);

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
    // Pins and UARTs as the world outside drives them (lock held).
    Peripherals& peripherals() noexcept override { return peripherals_; }
    // PC port at which a device TCP server on `device_port` (a UDP socket bound
    // to it, with udp) is reachable (0: none).
    std::uint16_t exposed_port(std::uint16_t device_port, bool udp = false);
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
    // Another socket listens on this TCP port (what SO_REUSEADDR does not lift).
    bool port_listened(std::uint16_t port, const Socket* except) const;
    // Route a new TCP connection from `from` (local) to `remote`, attach the far
    // end and return it. Throws Error(host_unreachable) with no data path.
    std::shared_ptr<Connection> open_connection(const std::shared_ptr<Socket>& from,
                                                const Endpoint& local, const Endpoint& remote);
    void listening(const std::shared_ptr<Socket>& s);
    void not_listening(const Socket* s);
    // A UDP socket has a local port: datagrams to it can be delivered. A
    // server (bound to a port the script chose) is exposed on the PC.
    void udp_bound(const std::shared_ptr<Socket>& s, bool server = false);
    // A freed-by-close socket still has a pcb (FIN-WAIT, TIME-WAIT...): keep it.
    void linger(std::shared_ptr<Socket> s);
    void unlinger(const Socket* s);
    void send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& local,
                       const Endpoint& to, std::string data);
    void socket_closed(const Socket* s);
    // A datagram from a virtual service (no device socket), routed like any.
    void send_datagram_from(const Endpoint& from, const Endpoint& to, std::string data,
                            std::uint64_t sock_id);
    void forget_peer(const PeerEnd* end);
    // A new connection whose device socket is on `device` (lock held).
    std::shared_ptr<Connection> make_connection(Side device);
    // A datagram the PC's network sent to a device socket (lock held).
    void datagram_from_host(const std::weak_ptr<Socket>& to, std::string data, Endpoint from);
    // One the carrier NAT dropped: its sender is not an endpoint the socket sent to.
    void datagram_filtered(const std::weak_ptr<Socket>& to, const Endpoint& from,
                           std::size_t bytes);
    // Resolve a name for a device call, through DNS faults (lock held through lk).
    std::vector<IpAddress> resolve(std::unique_lock<std::mutex>& lk, const std::string& name);
    // Something happened that a timeline `after:` entry may wait for.
    void device_event(const std::string& name);
    // What the service faults in force decide for one protocol event of a
    // virtual service; their effect is traced.
    ServiceVerdict service_faults(const ServiceEvent& ev);
    TlsAuthority& tls_authority();
    std::size_t sndbuf_limit() const noexcept { return sndbuf_; }
    std::size_t rcvbuf_limit() const noexcept { return rcvbuf_; }
    std::uint64_t next_connection_id() noexcept { return next_conn_id_++; }
    std::uint64_t next_socket_id() noexcept { return next_socket_id_++; }
    // select.poll waits here: every socket event notifies it.
    WaitQueue& pollers() noexcept { return pollers_; }
    // Socket state changes and other events, for the trace.
    void trace_event(TraceEvent ev) { trace_.emit(std::move(ev)); }
    bool tracing() const noexcept { return trace_.enabled(); }
    std::mt19937_64& rng() noexcept { return rng_; }

    // ---- LinkHost ----
    FaultSet* link_faults() noexcept override { return &faults_; }
    bool link_tracing() const noexcept override { return trace_.enabled(); }
    void link_trace(TraceEvent ev) override { trace_.emit(std::move(ev)); }
    PacketCapture* link_capture() noexcept override { return capture_.get(); }

  private:
    // Log and trace that a device server is reachable from the PC.
    void expose(const std::shared_ptr<Socket>& s, const char* proto, std::uint16_t host_port);
    // ---- ModuleControl (lock held) ----
    RegState registration() const override { return cellular_.reg_state(); }
    void set_registration(RegState r, const std::string& why) override;
    void set_coverage(bool lost, Duration reattach, const std::string& why) override;
    SimStatus sim() const override { return cellular_.sim_status(); }
    void set_sim(SimStatus s, const std::string& why) override;
    int csq() const override { return cellular_.radio().csq; }
    void set_csq(int csq) override;
    void block_pdp(int id, bool blocked, const std::string& why) override;
    void set_airplane(bool on) override;
    void reboot(const std::string& why) override;
    int socket_limit() const override { return socket_limit_; }
    void set_socket_limit(int n) override;
    std::size_t sndbuf() const override { return sndbuf_; }
    void set_sndbuf(std::size_t n) override { sndbuf_ = n; }
    std::size_t rcvbuf() const override { return rcvbuf_; }
    void set_rcvbuf(std::size_t n) override { rcvbuf_ = n; }
    void act_on_services(const Fault& f) override;

    std::uint64_t apply_fault_locked(FaultSpec spec, const char* origin);
    void lift_fault_locked(std::uint64_t id, const char* why);
    void start_timeline();
    // Timeline occurrences scheduled and not yet fired, by device time.
    std::multimap<DeviceTime, std::size_t> upcoming_;
    void schedule_occurrence(std::size_t index, std::uint64_t k);
    void timeline_fire(std::size_t index, std::uint64_t k, std::optional<Duration> remaining);
    void set_modem_fun_locked(int fun);
    void set_reg_state_locked(RegState r, const std::string& why);
    void set_sim_status_locked(SimStatus s, const std::string& why);
    bool name_matches(const std::string& name, const IpAddress& ip) const;
    void setup_default_network();
    void halt_locked(const std::string& reason);
    void post_event(DeviceEvent ev);
    bool activate_pdp_locked(int id, const char* why);
    void deactivate_pdp_locked(int id, const char* why);
    void deregister_locked(RegState to, const char* why);
    void register_later(Duration after);
    IpAddress draw_device_ip();
    void add_forward(const std::string& from, const std::string& to);
    void route_datagram(const Endpoint& from, const Endpoint& to, std::string data,
                        const std::shared_ptr<Socket>& device_sender);
    // The link faults' verdict on one datagram: when it arrives, or nullopt
    // (lost, and traced as such).
    std::optional<Crossing> datagram_faults(const LinkInfo& link, Direction dir, std::size_t bytes);
    IpAddress draw_device_ip6();
    void draw_identity();
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
    std::unique_ptr<PacketCapture> capture_;
    std::uint16_t dns_query_id_ = 0;
    Resolver resolver_;
    Cellular cellular_;
    std::mt19937_64 rng_;
    std::unique_ptr<HostGateway> gateway_;

    std::vector<std::weak_ptr<Socket>> table_;
    std::vector<std::weak_ptr<Socket>> listeners_;
    std::vector<std::weak_ptr<Socket>> bound_udp_;
    // In the order they closed: never ordered by address, so which TIME-WAIT
    // pcb is recycled, and the order of drops, is the same every run.
    std::vector<std::shared_ptr<Socket>> lingering_;
    std::uint16_t next_ephemeral_tcp_;
    std::uint16_t next_ephemeral_udp_;
    std::uint64_t next_conn_id_ = 1;
    std::uint64_t next_socket_id_ = 1;
    WaitQueue pollers_;
    std::deque<DeviceEvent> events_;
    WaitQueue event_waiters_;
    std::int64_t rtc_start_ = 0;
    std::uint64_t registration_epoch_ = 0;        // cancels a pending registration
    std::map<std::string, Endpoint> forward_to_;  // "ip:port" seen by the device -> PC
    VirtualNetwork net_;
    std::unique_ptr<TlsAuthority> tls_;
    double rtc_adjust_ = 0;  // set_rtc(): the module's RTC minus the network's time
    std::vector<std::weak_ptr<Socket>> host_listeners_;
    std::map<const PeerEnd*, std::shared_ptr<PeerEnd>> peers_;

    FaultSet faults_;
    std::vector<std::weak_ptr<Connection>> connections_;  // for Connection::poke
    std::array<bool, Cellular::kPdpCount> pdp_blocked_{};
    int csq_before_coverage_loss_ = 24;
    // Time a data call takes to come up.
    static constexpr Duration kPdpActivation = std::chrono::milliseconds(300);
    // A timer that may end in a device event (the timeline, fault lifts,
    // registration and data calls coming back): counted in events_ahead_.
    void event_at(DeviceTime when, TimerFn fn);
    bool listening_ = false;
    bool handling_event_ = false;  // next_event() handed one out, not yet done
    std::uint64_t events_ahead_ = 0;
    int socket_limit_;
    std::size_t sndbuf_;
    std::size_t rcvbuf_;
    Duration call_cost_;
    Duration line_cost_;
    std::map<std::string, std::vector<IpAddress>> answers_;  // names the device looked up
    // Timeline `after:` entries waiting for an event: event -> entry indexes.
    std::map<std::string, std::vector<std::size_t>> waiting_;
    std::map<std::size_t, std::uint64_t> triggered_;  // entry index -> occurrences so far
    // A pin a fault changes is an event for ExtInt.
    Peripherals peripherals_{[this](int gpio) { post_event(DeviceEvent{"pin", {gpio}}); }};
};

}  // namespace qpysim
