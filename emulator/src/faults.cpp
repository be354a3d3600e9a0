#include "qpysim/faults.hpp"

#include <algorithm>
#include <cmath>

#include "faults/kinds.hpp"
#include "qpysim/error.hpp"
#include "qpysim/resolver.hpp"
#include "qpysim/scenario.hpp"
#include "qpysim/trace.hpp"

namespace qpysim {

const char* to_string(Direction d) noexcept {
    switch (d) {
        case Direction::both:
            return "both";
        case Direction::up:
            return "up";
        case Direction::down:
            return "down";
    }
    return "?";
}

const char* to_string(FaultScope s) noexcept {
    switch (s) {
        case FaultScope::link:
            return "link";
        case FaultScope::dns:
            return "dns";
        case FaultScope::module:
            return "module";
        case FaultScope::instant:
            return "instant";
        case FaultScope::service:
            return "service";
    }
    return "?";
}

// ---------------------------------------------------------------- randomness

std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t FaultRandom::next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
}

double FaultRandom::uniform() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double FaultRandom::normal() noexcept {
    // Box-Muller; 1 - uniform() is in (0, 1], so the log is finite.
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

double stable_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    const std::uint64_t h = mix64(mix64(mix64(seed ^ 0x7469'6d65'6c69'6e65ULL) ^ a) ^ b) ^ c;
    return static_cast<double>(mix64(h) >> 11) * 0x1.0p-53;
}

// ---------------------------------------------------------------- settings

namespace {

std::string format_number(double v) {
    std::string s = std::to_string(v);
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
        const bool dot = s.back() == '.';
        s.pop_back();
        if (dot) break;
    }
    return s;
}

const std::string* find_setting(const FaultSettings& s, const std::string& key) {
    const auto it = s.find(key);
    return it == s.end() ? nullptr : &it->second;
}

std::optional<double> number_with_unit(const std::string& text, std::string& unit) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
    std::size_t used = 0;
    const auto v = leading_number(text, used);
    if (!v || *v < 0) return std::nullopt;
    unit = text.substr(used);
    unit.erase(0, unit.find_first_not_of(' '));
    return v;
}

}  // namespace

std::optional<double> parse_bytes(const std::string& text) {
    std::string unit;
    const auto v = number_with_unit(text, unit);
    if (!v) return std::nullopt;
    static const std::map<std::string, double> units = {
        {"", 1},     {"B", 1},        {"KB", 1e3},        {"kB", 1e3},
        {"MB", 1e6}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GB", 1e9},
    };
    const auto it = units.find(unit);
    if (it == units.end()) return std::nullopt;
    return *v * it->second;
}

std::optional<double> parse_rate(const std::string& text) {
    std::string unit;
    const auto v = number_with_unit(text, unit);
    if (!v) return std::nullopt;
    // bits per second, or bytes per second with "/s".
    static const std::map<std::string, double> units = {
        {"bit", 1.0 / 8},  {"kbit", 1e3 / 8},    {"Kbit", 1e3 / 8}, {"Mbit", 1e6 / 8},
        {"Gbit", 1e9 / 8}, {"bps", 1.0 / 8},     {"kbps", 1e3 / 8}, {"Mbps", 1e6 / 8},
        {"B/s", 1},        {"KB/s", 1e3},        {"kB/s", 1e3},     {"MB/s", 1e6},
        {"KiB/s", 1024.0}, {"MiB/s", 1048576.0},
    };
    const auto it = units.find(unit);
    if (it == units.end() || *v <= 0) return std::nullopt;
    return *v * it->second;
}

Duration setting_duration(const FaultSettings& s, const std::string& key, Duration fallback) {
    const auto* v = find_setting(s, key);
    if (!v) return fallback;
    const auto d = parse_duration(*v);
    if (!d) {
        throw UsageError(key + " must be a duration like 250ms, 1.5s or 5m, got '" + *v + "'");
    }
    return *d;
}

double setting_number(const FaultSettings& s, const std::string& key, double fallback, double lo,
                      double hi) {
    const auto* v = find_setting(s, key);
    if (!v) return fallback;
    std::size_t used = 0;
    double d = 0;
    try {
        d = std::stod(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    // "5%" reads as 0.05.
    if (used > 0 && used + 1 == v->size() && (*v)[used] == '%') {
        d /= 100;
        used = v->size();
    }
    if (used == 0 || used != v->size() || !std::isfinite(d) || d < lo || d > hi) {
        throw UsageError(key + " must be a number from " + format_number(lo) + " to " +
                         format_number(hi) + ", got '" + *v + "'");
    }
    return d;
}

std::int64_t setting_int(const FaultSettings& s, const std::string& key, std::int64_t fallback,
                         std::int64_t lo, std::int64_t hi) {
    const auto* v = find_setting(s, key);
    if (!v) return fallback;
    const std::int64_t n = parse_whole(*v, 14).value_or(-1);
    if (n < lo || n > hi) {
        throw UsageError(key + " must be a whole number from " + std::to_string(lo) + " to " +
                         std::to_string(hi) + ", got '" + *v + "'");
    }
    return n;
}

std::optional<std::uint64_t> setting_bytes(const FaultSettings& s, const std::string& key) {
    const auto* v = find_setting(s, key);
    if (!v) return std::nullopt;
    const auto b = parse_bytes(*v);
    if (!b || *b > 1e15) {
        throw UsageError(key + " must be a size in bytes like 1460, 32KB or 1MB, got '" + *v + "'");
    }
    return static_cast<std::uint64_t>(std::llround(*b));
}

double setting_rate(const FaultSettings& s, const std::string& key) {
    const auto* v = find_setting(s, key);
    if (!v) throw UsageError(key + " is required (a rate like 256kbit, 1Mbit or 32KB/s)");
    const auto r = parse_rate(*v);
    if (!r) {
        throw UsageError(key + " must be a rate like 9600bit, 256kbit, 1Mbit or 32KB/s, got '" +
                         *v + "'");
    }
    return *r;
}

std::string setting_word(const FaultSettings& s, const std::string& key,
                         const std::string& fallback, const std::vector<std::string>& allowed) {
    const auto* v = find_setting(s, key);
    if (!v) return fallback;
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed)
            list += (list.empty() ? "" : ", ") + a;
        throw UsageError(key + " must be one of " + list + ", got '" + *v + "'");
    }
    return *v;
}

std::optional<std::string> setting_text(const FaultSettings& s, const std::string& key) {
    const auto* v = find_setting(s, key);
    if (!v) return std::nullopt;
    return *v;
}

// ---------------------------------------------------------------- registry

void FaultRegistry::add(FaultKind k) {
    kinds_.push_back(std::move(k));
}

const FaultKind* FaultRegistry::find(const std::string& name) const noexcept {
    for (const auto& k : kinds_) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

const FaultKind& FaultRegistry::get(const std::string& name) const {
    if (const auto* k = find(name)) return *k;
    std::string list;
    for (const auto& k : kinds_)
        list += (list.empty() ? "" : ", ") + k.name;
    throw UsageError("unknown fault '" + name + "' (known faults: " + list + ")");
}

void register_builtin_faults(FaultRegistry& r) {
    // Link (toxiproxy's toxics, netem's loss and delay, and what a cell adds).
    r.add(faults::latency_kind());
    r.add(faults::bandwidth_kind());
    r.add(faults::loss_kind());
    r.add(faults::slicer_kind());
    r.add(faults::limit_data_kind());
    r.add(faults::reset_peer_kind());
    r.add(faults::blackhole_kind());
    r.add(faults::refuse_kind());
    r.add(faults::slow_close_kind());
    r.add(faults::half_open_kind());
    r.add(faults::nat_idle_kind());
    // DNS.
    r.add(faults::dns_failure_kind("dns_nxdomain"));
    r.add(faults::dns_failure_kind("dns_servfail"));
    r.add(faults::dns_failure_kind("dns_timeout"));
    r.add(faults::dns_slow_kind());
    r.add(faults::dns_wrong_kind());
    // Cellular.
    r.add(faults::coverage_loss_kind());
    r.add(faults::registration_kind());
    r.add(faults::signal_kind());
    r.add(faults::sim_kind());
    r.add(faults::pdp_down_kind());
    r.add(faults::airplane_kind());
    r.add(faults::reboot_kind());
    // Module limits.
    r.add(faults::module_limit_kind("sockets"));
    r.add(faults::module_limit_kind("sndbuf"));
    r.add(faults::module_limit_kind("rcvbuf"));
    // Peripherals.
    r.add(faults::pin_kind());
    r.add(faults::uart_overrun_kind());
    r.add(faults::i2c_nack_kind());
    r.add(faults::adc_kind());
    r.add(faults::vbatt_kind());
    // Virtual services: what a server answers.
    r.add(faults::http_status_kind());
    r.add(faults::http_delay_kind());
    r.add(faults::mqtt_refuse_kind());
    r.add(faults::mqtt_drop_kind());
    r.add(faults::mqtt_disconnect_kind());
}

const FaultRegistry& builtin_faults() {
    static const FaultRegistry registry = [] {
        FaultRegistry r;
        register_builtin_faults(r);
        return r;
    }();
    return registry;
}

std::vector<std::string> match_keys(const FaultKind& k) {
    if (k.scope == FaultScope::link) return {"host", "port", "socket", "proto"};
    if (k.on_services) return {"host", "port"};
    if (k.scope == FaultScope::dns) return {"host"};
    return {};
}

bool takes_direction(const FaultKind& k) {
    return k.scope == FaultScope::link || k.scope == FaultScope::service;
}

std::shared_ptr<FaultEffect> make_effect(const FaultSpec& spec) {
    const FaultKind& kind = builtin_faults().get(spec.kind);
    const std::string who =
        "fault '" + (spec.name.empty() ? spec.kind : spec.name) + "' (" + spec.kind + "): ";
    for (const auto& setting : spec.settings) {
        const std::string& key = setting.first;  // clang 14 cannot capture a structured binding
        const bool known = std::any_of(kind.settings.begin(), kind.settings.end(),
                                       [&](const auto& kv) { return kv.first == key; });
        if (!known) {
            std::string list;
            for (const auto& kv : kind.settings)
                list += (list.empty() ? "" : ", ") + kv.first;
            throw UsageError(who + "unknown setting '" + key + "'" +
                             (list.empty() ? " (it takes none)" : " (it takes " + list + ")"));
        }
    }
    if (!(spec.probability >= 0.0 && spec.probability <= 1.0)) {
        throw UsageError(who + "probability must be from 0 to 1");
    }
    const auto keys = match_keys(kind);
    const auto takes = [&](const char* key) {
        return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    const std::pair<bool, const char*> given[] = {{spec.match.host.has_value(), "host"},
                                                  {spec.match.port.has_value(), "port"},
                                                  {spec.match.socket.has_value(), "socket"},
                                                  {spec.match.udp.has_value(), "proto"}};
    for (const auto& [set, key] : given) {
        if (!set || takes(key)) continue;
        std::string list;
        for (const auto& k : keys)
            list += (list.empty() ? "" : ", ") + k;
        throw UsageError(who + "match takes " + (list.empty() ? "nothing" : list) + " here, not " +
                         key);
    }
    if (spec.direction != Direction::both && !takes_direction(kind)) {
        throw UsageError(who + "direction applies to link and service faults only");
    }
    if (kind.scope == FaultScope::instant && spec.duration) {
        throw UsageError(who + "happens at once; it has no duration to lift after");
    }
    try {
        return kind.make(spec.settings);
    } catch (const UsageError& e) {
        throw UsageError(who + e.what());
    }
}

// ---------------------------------------------------------------- FaultSet

Fault& FaultSet::add(FaultSpec spec, std::shared_ptr<FaultEffect> effect, DeviceTime now) {
    if (spec.name.empty()) spec.name = spec.kind;
    Fault f;
    f.id = next_id_++;
    f.spec = std::move(spec);
    f.applied_at = now;
    if (f.spec.duration) f.lift_at = now + *f.spec.duration;
    f.effect = std::move(effect);
    if (f.effect->scope() == FaultScope::link) ++link_count_;
    if (f.effect->scope() == FaultScope::service) ++service_count_;
    faults_.push_back(std::move(f));
    return faults_.back();
}

std::optional<Fault> FaultSet::remove(std::uint64_t id) {
    const auto it =
        std::find_if(faults_.begin(), faults_.end(), [id](const Fault& f) { return f.id == id; });
    if (it == faults_.end()) return std::nullopt;
    Fault f = std::move(*it);
    faults_.erase(it);
    if (f.effect->scope() == FaultScope::link) --link_count_;
    if (f.effect->scope() == FaultScope::service) --service_count_;
    return f;
}

std::vector<std::uint64_t> FaultSet::find(const std::string& name_or_id) const {
    std::vector<std::uint64_t> ids;
    for (const auto& f : faults_) {
        if (f.spec.name == name_or_id || std::to_string(f.id) == name_or_id) ids.push_back(f.id);
    }
    return ids;
}

bool FaultSet::matches(const Fault& f, const LinkInfo& link, bool udp, Direction dir) const {
    const FaultMatch& m = f.spec.match;
    if (f.spec.direction != Direction::both && dir != Direction::both && f.spec.direction != dir) {
        return false;
    }
    if (m.udp && *m.udp != udp) return false;
    if (m.port && *m.port != link.peer.port && *m.port != link.device.port) return false;
    if (m.socket && *m.socket != link.device_socket) return false;
    if (m.host) {
        if (const auto ip = parse_ip(*m.host)) {
            if (*ip != link.peer.ip) return false;
        } else if (!name_match_ || !name_match_(*m.host, link.peer.ip)) {
            return false;
        }
    }
    return true;
}

void FaultSet::decide(const LinkInfo& link, std::map<std::uint64_t, FaultFlow>& flows,
                      Crossing& c) {
    for (auto& f : faults_) {
        if (f.effect->scope() != FaultScope::link) continue;
        if (!matches(f, link, false, c.tick ? Direction::both : c.dir)) continue;
        FaultFlow& flow = flows[f.id];
        if (!flow.met) {
            flow.met = true;
            flow.since = c.now;
            flow.engaged = rng_.chance(f.spec.probability);
        }
        if (!flow.engaged) continue;
        f.effect->on_cross(f, link, flow, c, rng_);
    }
}

void FaultSet::decide_datagram(const LinkInfo& link, Crossing& c) {
    for (auto& f : faults_) {
        if (f.effect->scope() != FaultScope::link || !f.effect->applies_to_udp()) continue;
        if (!matches(f, link, true, c.dir)) continue;
        if (!rng_.chance(f.spec.probability)) continue;
        const std::string key = std::to_string(link.device.port) + "|" + link.peer.to_string();
        FaultFlow& flow = udp_flows_[key][f.id];
        if (!flow.met) {
            flow.met = true;
            flow.since = f.applied_at;  // a UDP flow has no start; it was there all along
        }
        f.effect->on_cross(f, link, flow, c, rng_);
    }
}

DnsAnswer FaultSet::dns(const std::string& name, std::string& fault_name) {
    const std::string n = Resolver::normalize(name);
    for (auto& f : faults_) {
        if (f.effect->scope() != FaultScope::dns) continue;
        if (const auto& host = f.spec.match.host) {
            const std::string h = Resolver::normalize(*host);
            const bool wildcard = h.size() > 2 && h.compare(0, 2, "*.") == 0;
            const bool hit =
                wildcard ? (n.size() > h.size() - 1 &&
                            n.compare(n.size() - (h.size() - 1), h.size() - 1, h.substr(1)) == 0)
                         : n == h;
            if (!hit) continue;
        }
        if (!rng_.chance(f.spec.probability)) continue;
        DnsAnswer a = f.effect->answer(name, rng_);
        if (a.kind != DnsAnswer::Kind::pass) {
            fault_name = f.spec.name;
            return a;
        }
    }
    return {};
}

bool FaultSet::matches_service(const Fault& f, const Endpoint& at) const {
    const FaultMatch& m = f.spec.match;
    if (m.port && *m.port != at.port) return false;
    if (m.host) {
        if (const auto ip = parse_ip(*m.host)) return *ip == at.ip;
        return name_match_ && name_match_(*m.host, at.ip);
    }
    return true;
}

TraceEvent service_effect_event(DeviceTime now, const ServiceEvent& ev, const ServiceVerdict& v) {
    TraceEvent t(now, "fault_effect");
    t.str("fault", v.why)
        .str("at", ev.service.to_string())
        .str("event", ev.protocol + " " + ev.action);
    if (!ev.method.empty()) t.str("request", ev.method + " " + ev.path);
    if (!ev.topic.empty()) t.str("topic", ev.topic);
    if (!ev.client.empty()) t.str("client", ev.client);
    if (v.status) t.num("status", *v.status);
    if (v.delay.count() > 0) t.str("delay", format_duration(v.delay));
    if (v.refuse) t.num("connack", *v.refuse);
    if (v.drop) t.str("effect", "dropped");
    return t;
}

ServiceVerdict FaultSet::service(const ServiceEvent& ev) {
    ServiceVerdict v;
    for (auto& f : faults_) {
        if (f.effect->scope() != FaultScope::service || !matches_service(f, ev.service)) continue;
        if (f.spec.direction != Direction::both && f.spec.direction != ev.dir) continue;
        // A draw only for events the fault is about, so a probability counts
        // requests (or publishes) of its kind, not everything the service sees.
        if (!f.effect->concerns(ev) || !rng_.chance(f.spec.probability)) continue;
        ServiceVerdict mine;
        f.effect->on_service(f, ev, mine);
        if (!mine.acted()) continue;
        if (mine.status) v.status = mine.status;
        if (mine.body) v.body = mine.body;
        v.delay += mine.delay;
        if (mine.refuse) v.refuse = mine.refuse;
        v.drop = v.drop || mine.drop;
        v.disconnect = v.disconnect || mine.disconnect;
        v.reset = v.reset || mine.reset;
        v.why += (v.why.empty() ? "" : ",") + f.spec.name;
    }
    return v;
}

}  // namespace qpysim
