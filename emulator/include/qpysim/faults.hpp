// Faults as small named units, after toxiproxy's toxics: one file per kind in
// emulator/src/faults/, each a short struct of documented settings plus its
// effect. Matching (host, port, socket, protocol), direction, probability and
// the time window live in one common wrapper (Fault); register_builtin_faults()
// lists every kind in one explicit place.
//
// Five scopes:
//  - link faults see each TCP segment or UDP datagram that crosses a matching
//    connection in a matching direction, and may delay, drop, slice, cut or
//    reset it (Connection and Modem::route_datagram consult the FaultSet);
//  - DNS faults decide a lookup's answer before the zone or the PC does;
//  - service faults see the protocol events of a matching virtual service (an
//    HTTP request, an MQTT CONNECT or PUBLISH) and change its answer, which no
//    proxy between the device and a server could do;
//  - cellular and module faults change the module's state when applied and
//    restore it when lifted (through ModuleControl, which the Modem implements);
//  - instant faults (reboot) happen once and have nothing to lift.
//
// All randomness comes from FaultRandom, seeded from the scenario's seed, with
// its own portable distributions so a seed replays the same on every platform.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/cellular.hpp"
#include "qpysim/link.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

// Up is device -> peer, down is peer -> device.
enum class Direction : std::uint8_t { both, up, down };
const char* to_string(Direction d) noexcept;

// splitmix64 (Steele, Lea, Flood 2014): a fixed, portable mixing function.
std::uint64_t mix64(std::uint64_t x) noexcept;

// Seeded randomness with distributions defined here, not by the standard
// library (whose distributions differ between implementations).
class FaultRandom {
  public:
    explicit FaultRandom(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() noexcept;
    double uniform() noexcept;  // [0, 1)
    bool chance(double p) noexcept { return p >= 1.0 || (p > 0.0 && uniform() < p); }
    double normal() noexcept;  // mean 0, standard deviation 1 (Box-Muller)

  private:
    std::uint64_t state_;
};

// A draw that depends only on its inputs: timeline entries use it so an
// occurrence has the same fate whatever happened before (and after a reboot).
double stable_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c);

// Which traffic a fault applies to. Unset fields match anything.
struct FaultMatch {
    std::optional<std::string> host;      // a DNS name (as the device looked it up) or an IP
    std::optional<int> port;              // either end's port
    std::optional<std::uint64_t> socket;  // a device socket id (the trace's "sock")
    std::optional<bool> udp;              // true: UDP only, false: TCP only
};

// A fault's settings as given: key -> text ("200ms", "0.05", "256kbit"). Each
// kind reads and checks its own keys when it is made.
using FaultSettings = std::map<std::string, std::string>;

// A fault as asked for: by a scenario, a timeline entry or Python.
struct FaultSpec {
    std::string kind;
    std::string name;  // for the trace, lift() and `after:`; defaults to the kind
    FaultMatch match;
    Direction direction = Direction::both;
    double probability = 1.0;  // of applying to a given connection (or datagram)
    FaultSettings settings;
    std::optional<Duration> duration;  // lifts itself after this long
};

// One TCP segment or UDP datagram on its way, and what the faults decide.
struct Crossing {
    Direction dir = Direction::up;
    bool udp = false;
    Segment::Kind kind = Segment::Kind::Data;  // TCP only
    bool tick = false;  // no segment: a timer a fault asked for (FaultFlow::wake_at)
    std::size_t bytes = 0;
    DeviceTime now{};

    DeviceTime arrival{};     // faults push it later
    bool drop = false;        // lost on the way (TCP retransmits SYN-ACK, ACK, DATA, FIN)
    bool reset = false;       // RST to both ends; nothing is delivered
    bool refuse = false;      // a SYN is answered with RST from the far side
    bool answer_rst = false;  // dropped, and the sender hears RST from the far side
    bool close = false;       // after this one, both ends get FIN (a proxy closing)
    std::size_t keep = std::numeric_limits<std::size_t>::max();  // payload bytes delivered
    std::size_t slice = 0;            // split the payload into pieces of about this size
    std::size_t slice_variation = 0;  // +- this many bytes per piece
    Duration slice_gap{0};            // between pieces
    std::string why;                  // the fault that dropped, reset or cut it
};

// One fault's memory of one connection (or UDP flow).
struct FaultFlow {
    bool met = false;                   // the fault has seen this connection before
    bool engaged = true;                // the probability draw said yes
    DeviceTime since{};                 // when the fault met the connection
    std::uint64_t bytes = 0;            // payload bytes in the fault's direction(s) since then
    bool dead = false;                  // everything is lost from now on
    bool fired = false;                 // a one-shot effect already happened
    std::optional<DeviceTime> wake_at;  // call on_cross with a tick then
};

// What link faults know about the connection a crossing is on.
struct LinkInfo {
    std::uint64_t conn = 0;  // 0 for UDP
    std::uint64_t device_socket = 0;
    Endpoint device;
    Endpoint peer;
    DeviceTime opened{};
    DeviceTime last_activity{};  // the last segment that got through, either way
    bool established = false;    // a SYN-ACK got through
};

struct Fault;
class Peripherals;

// The module as cellular and module faults see it (the Modem, lock held).
class ModuleControl {
  public:
    virtual ~ModuleControl() = default;
    virtual RegState registration() const = 0;
    virtual void set_registration(RegState r, const std::string& why) = 0;
    // Coverage: lost deregisters (searching, CSQ 99); found registers again
    // after `reattach` and the data calls set to reconnect come back.
    virtual void set_coverage(bool lost, Duration reattach, const std::string& why) = 0;
    virtual SimStatus sim() const = 0;
    virtual void set_sim(SimStatus s, const std::string& why) = 0;
    virtual int csq() const = 0;
    virtual void set_csq(int csq) = 0;
    // The network tears the data call down and refuses it while blocked; on
    // unblocking, a context set to reconnect comes back with a new address.
    virtual void block_pdp(int id, bool blocked, const std::string& why) = 0;
    virtual void set_airplane(bool on) = 0;
    virtual void reboot(const std::string& why) = 0;
    virtual int socket_limit() const = 0;
    virtual void set_socket_limit(int n) = 0;
    virtual std::size_t sndbuf() const = 0;
    virtual void set_sndbuf(std::size_t n) = 0;
    virtual std::size_t rcvbuf() const = 0;
    virtual void set_rcvbuf(std::size_t n) = 0;
    // An instant fault that acts on virtual services (mqtt_disconnect): each
    // service its match covers hears of it (Service::on_fault).
    virtual void act_on_services(const Fault& f) = 0;
    // Pins and UARTs (pin, uart_overrun).
    virtual Peripherals& peripherals() = 0;
};

// What a DNS fault decides for one lookup.
struct DnsAnswer {
    enum class Kind { pass, fail, slow, wrong };
    Kind kind = Kind::pass;
    Duration delay{0};                 // before the answer (or the failure)
    std::optional<IpAddress> address;  // wrong
    std::string what;                  // "NXDOMAIN", "SERVFAIL", "timeout"...
};

// One protocol event a virtual service asks the service faults about.
struct ServiceEvent {
    std::string protocol;           // "http", "mqtt"
    std::string action;             // http: "request"; mqtt: "connect", "publish", "client"
    Endpoint service;               // where the service listens
    Direction dir = Direction::up;  // mqtt publish: up from the device, down to it
    std::string method;             // http
    std::string path;               // http, without the query
    std::string client;             // mqtt client id
    std::string topic;              // mqtt publish
};

// What the service faults decide for one event; untouched means "as usual".
struct ServiceVerdict {
    std::optional<int> status;  // http: answer with this status
    std::optional<std::string> body;
    Duration delay{0};          // http: answer this much later
    std::optional<int> refuse;  // mqtt connect: CONNACK with this return code
    bool drop = false;          // mqtt publish: lost on its way
    bool disconnect = false;    // mqtt client: the broker drops the connection
    bool reset = false;         // ... with RST instead of FIN
    std::string why;            // the fault that acted (for the trace)
    bool acted() const noexcept {
        return status || body || delay.count() > 0 || refuse || drop || disconnect;
    }
};

class TraceEvent;
// The trace line of a verdict that acted: which fault did what to which event.
TraceEvent service_effect_event(DeviceTime now, const ServiceEvent& ev, const ServiceVerdict& v);

enum class FaultScope { link, dns, module, instant, service };
const char* to_string(FaultScope s) noexcept;

struct Fault;

// The behaviour of one fault kind, made from its settings by the registry.
// One instance per applied fault, so an effect may keep state shared by every
// connection it matches (bandwidth's busy wire, nat_idle's UDP mappings).
class FaultEffect {
  public:
    virtual ~FaultEffect() = default;
    virtual FaultScope scope() const noexcept { return FaultScope::link; }
    // Link faults: one crossing (or a tick the fault asked for).
    virtual void on_cross(const Fault& /*f*/, const LinkInfo& /*link*/, FaultFlow& /*flow*/,
                          Crossing& /*c*/, FaultRandom& /*rng*/) {}
    // Link faults that apply to UDP datagrams too.
    virtual bool applies_to_udp() const noexcept { return true; }
    // DNS faults.
    virtual DnsAnswer answer(const std::string& /*name*/, FaultRandom& /*rng*/) { return {}; }
    // Service faults: is this event (of a service the fault matches) one the
    // fault is about (its method and path, topic, client...)?
    virtual bool concerns(const ServiceEvent& /*ev*/) const { return false; }
    // ... and, once the probability draw said yes, what it does to it.
    virtual void on_service(const Fault& /*f*/, const ServiceEvent& /*ev*/, ServiceVerdict& /*v*/) {
    }
    // Module-scope and instant faults.
    virtual void on_apply(ModuleControl& /*m*/, const Fault& /*f*/) {}
    virtual void on_lift(ModuleControl& /*m*/, const Fault& /*f*/) {}
};

// A fault as applied.
struct Fault {
    std::uint64_t id = 0;
    FaultSpec spec;
    DeviceTime applied_at{};
    std::optional<DeviceTime> lift_at;
    std::shared_ptr<FaultEffect> effect;
};

// Registry of fault kinds: name -> maker, with documentation for listings.
struct FaultKind {
    std::string name;
    FaultScope scope = FaultScope::link;
    std::string summary;
    // key -> "what it means, units, default"
    std::vector<std::pair<std::string, std::string>> settings;
    std::function<std::shared_ptr<FaultEffect>(const FaultSettings&)> make;
    // match host/port pick virtual services: service faults, and instant
    // faults that act on a service.
    bool on_services = false;
};

// The keys of `match:` a kind takes (host, port, socket, proto), and whether it
// takes `direction:`.
std::vector<std::string> match_keys(const FaultKind& k);
bool takes_direction(const FaultKind& k);

class FaultRegistry {
  public:
    void add(FaultKind k);
    // Throws UsageError listing the kinds.
    const FaultKind& get(const std::string& name) const;
    const FaultKind* find(const std::string& name) const noexcept;
    const std::vector<FaultKind>& kinds() const noexcept { return kinds_; }

  private:
    std::vector<FaultKind> kinds_;
};

// Every built-in fault, registered in one explicit place (faults.cpp).
void register_builtin_faults(FaultRegistry& r);
const FaultRegistry& builtin_faults();

// Make the effect for a spec: checks the kind, the settings (unknown keys and
// bad values are UsageErrors naming the key), the probability and direction.
std::shared_ptr<FaultEffect> make_effect(const FaultSpec& spec);

// Setting readers for fault makers; each names the key in its error.
Duration setting_duration(const FaultSettings& s, const std::string& key, Duration fallback);
double setting_number(const FaultSettings& s, const std::string& key, double fallback, double lo,
                      double hi);
std::int64_t setting_int(const FaultSettings& s, const std::string& key, std::int64_t fallback,
                         std::int64_t lo, std::int64_t hi);
// "1460", "32KB", "1.5MB", "64KiB": bytes.
std::optional<std::uint64_t> setting_bytes(const FaultSettings& s, const std::string& key);
// "256kbit", "1Mbit", "32KB/s", "1.5MB/s", "9600bit" (per second): bytes per second.
double setting_rate(const FaultSettings& s, const std::string& key);
std::string setting_word(const FaultSettings& s, const std::string& key,
                         const std::string& fallback, const std::vector<std::string>& allowed);
std::optional<std::string> setting_text(const FaultSettings& s, const std::string& key);
// "1.5MB" -> bytes, "256kbit" -> bytes per second; nullopt when malformed.
std::optional<double> parse_bytes(const std::string& text);
std::optional<double> parse_rate(const std::string& text);

// The faults in force on one module, and the decisions they make. Owned by the
// Modem; every call is made with the core lock held.
class FaultSet {
  public:
    using NameMatch = std::function<bool(const std::string& name, const IpAddress& ip)>;
    using Tracer =
        std::function<void(const std::string& kind, const Fault& f, const std::string& detail)>;

    explicit FaultSet(std::uint64_t seed) : rng_(seed) {}

    // Does `name` (a match.host) name `ip`? The Modem answers from its zone,
    // its virtual hosts and the lookups the device made.
    void set_name_match(NameMatch fn) { name_match_ = std::move(fn); }

    Fault& add(FaultSpec spec, std::shared_ptr<FaultEffect> effect, DeviceTime now);
    // Remove by id; returns the fault (for on_lift and the trace), if it was there.
    std::optional<Fault> remove(std::uint64_t id);
    // Ids of the faults named `name` (or with that id, written as a number).
    std::vector<std::uint64_t> find(const std::string& name_or_id) const;
    const std::vector<Fault>& active() const noexcept { return faults_; }
    bool has_link_faults() const noexcept { return link_count_ > 0; }

    // Link: decide one crossing. `flows` is the connection's memory per fault id.
    void decide(const LinkInfo& link, std::map<std::uint64_t, FaultFlow>& flows, Crossing& c);
    // UDP: `flow_key` names the device port and peer, for per-flow memory.
    void decide_datagram(const LinkInfo& link, Crossing& c);
    // DNS: the first matching DNS fault's answer, or pass.
    DnsAnswer dns(const std::string& name, std::string& fault_name);
    // Service: every matching service fault has its say, in the order applied.
    ServiceVerdict service(const ServiceEvent& ev);
    bool has_service_faults() const noexcept { return service_count_ > 0; }
    // Does a service fault's match (host, port) cover a service at `at`?
    bool matches_service(const Fault& f, const Endpoint& at) const;

    FaultRandom& rng() noexcept { return rng_; }

  private:
    bool matches(const Fault& f, const LinkInfo& link, bool udp, Direction dir) const;

    std::vector<Fault> faults_;
    std::uint64_t next_id_ = 1;
    int link_count_ = 0;
    int service_count_ = 0;
    FaultRandom rng_;
    NameMatch name_match_;
    std::map<std::string, std::map<std::uint64_t, FaultFlow>> udp_flows_;
};

}  // namespace qpysim
