#include "qpysim/scenario.hpp"

#include "config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "qpysim/address.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/profile.hpp"

namespace qpysim {

namespace {

std::vector<std::string> names_of_dialects() {
    std::vector<std::string> v;
    for (const auto& d : all_dialects())
        v.push_back(d.name);
    return v;
}

std::vector<std::string> names_of_modules() {
    std::vector<std::string> v;
    for (const auto& m : all_modules())
        v.push_back(m.model);
    return v;
}

void parse_dns(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "dns");
    for (const auto& kv : node) {
        const std::string name = r.scalar(kv.first, "a dns name");
        if (name.empty()) r.fail(kv.first.Mark(), "dns: a name must not be empty");
        std::vector<YAML::Node> values;
        if (kv.second.IsSequence()) {
            if (kv.second.size() == 0)
                r.fail(kv.second.Mark(), "dns: '" + name + "' has no address");
            for (const auto& v : kv.second)
                values.push_back(v);
        } else {
            values.push_back(kv.second);
        }
        for (const auto& v : values) {
            const std::string addr = r.scalar(v, "dns: the address of '" + name + "'");
            if (!parse_ip(addr)) {
                r.fail(v.Mark(),
                       "dns: '" + name + "': expected an IPv4 or IPv6 address, got '" + addr + "'");
            }
            s.dns[name].push_back(addr);
        }
    }
}

bool host_port(const std::string& s, bool numeric_host) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
    const std::string port = s.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        return false;
    }
    std::string host = s.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return !numeric_host || host == "localhost" || parse_ip(host).has_value();
}

void parse_forward(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "forward");
    for (const auto& kv : node) {
        const std::string from = r.scalar(kv.first, "a forward source");
        const std::string to = r.scalar(kv.second, "forward: the target of '" + from + "'");
        if (!host_port(from, false)) {
            r.fail(kv.first.Mark(),
                   "forward: expected host:port (what the device connects to), got '" + from + "'");
        }
        if (!host_port(to, true)) {
            r.fail(kv.second.Mark(), "forward: expected ip:port on this PC, got '" + to + "'");
        }
        s.forward[from] = to;
    }
}

std::vector<std::string> service_names(bool udp) {
    std::vector<std::string> v;
    for (const auto& k : builtin_services().kinds()) {
        if (udp ? k.udp : k.tcp) v.push_back(k.name);
    }
    return v;
}

// tls: true, or tls: {cert: FILE, key: FILE}.
std::optional<TlsConfig> parse_tls(const ConfigReader& r, const YAML::Node& n) {
    TlsConfig tls;
    if (n.IsScalar()) {
        if (!r.boolean(n, "tls")) return std::nullopt;
        return tls;
    }
    if (n.IsNull()) return tls;
    r.expect_map(n, "tls");
    r.check_keys(n, {"cert", "key"}, "tls");
    if (static_cast<bool>(n["cert"]) != static_cast<bool>(n["key"]))
        r.fail(n.Mark(), "tls: give both cert and key (PEM files), or neither");
    if (const auto v = n["cert"]) {
        tls.cert_pem = r.file(v, "cert");
        tls.key_pem = r.file(n["key"], "key");
        tls.cert_file = r.scalar(v, "cert");
        try {
            check_tls_config(tls);
        } catch (const UsageError& e) {
            r.fail(v.Mark(), e.what());
        }
    }
    return tls;
}

// A service: its kind's name alone (`7: echo`), or a mapping with the kind's
// name and its settings, and tls: for TCP.
ServiceSpec parse_service(const ConfigReader& r, const YAML::Node& n, bool udp) {
    const std::string proto = udp ? "a UDP" : "a TCP";
    const auto names = service_names(udp);
    const auto kind_of = [&](const YAML::Node& key) -> const ServiceKind& {
        const std::string word = r.scalar(key, "a service");
        const ServiceKind* k = builtin_services().find(word);
        if (!k || !(udp ? k->udp : k->tcp)) {
            r.fail(key.Mark(), proto + " service is one of " + ConfigReader::join(names) +
                                   ", got '" + word + "'");
        }
        return *k;
    };
    ServiceSpec spec;
    if (n.IsScalar()) {
        const ServiceKind& k = kind_of(n);
        spec.kind = k.name;
        spec.config = k.parse(r, YAML::Node(YAML::NodeType::Null));
        return spec;
    }
    r.expect_map(n, "a service");
    for (const auto& kv : n) {
        if (r.scalar(kv.first, "a service") == "tls" && !udp) {
            spec.tls = parse_tls(r, kv.second);
            continue;
        }
        const ServiceKind& k = kind_of(kv.first);
        if (!spec.kind.empty()) {
            r.fail(kv.first.Mark(), "one port, one service: '" + spec.kind + "' and '" + k.name +
                                        "' are both given");
        }
        spec.kind = k.name;
        spec.config = k.parse(r, kv.second);
    }
    if (spec.kind.empty()) {
        r.fail(n.Mark(), proto + " service needs its kind: one of " + ConfigReader::join(names));
    }
    return spec;
}

void parse_hosts(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "hosts");
    for (const auto& kv : node) {
        HostConfig h;
        const std::string name = r.scalar(kv.first, "a host name or address");
        if (name.empty()) r.fail(kv.first.Mark(), "hosts: a name must not be empty");
        h.name = name;
        r.expect_map(kv.second, "host '" + name + "'");
        for (const auto& entry : kv.second) {
            const std::string key = r.scalar(entry.first, "a port");
            if (key == "address") {
                const std::string a = r.scalar(entry.second, "address");
                if (!parse_ip(a))
                    r.fail(entry.second.Mark(), "address must be an IP address, got '" + a + "'");
                h.address = a;
                continue;
            }
            std::string port_text = key;
            bool udp = false;
            for (const char* suffix : {"/udp", "/tcp"}) {
                if (port_text.size() > 4 &&
                    port_text.compare(port_text.size() - 4, 4, suffix) == 0) {
                    udp = std::string(suffix) == "/udp";
                    port_text.resize(port_text.size() - 4);
                }
            }
            if (port_text.empty() || port_text.size() > 5 ||
                !std::all_of(port_text.begin(), port_text.end(),
                             [](char c) { return c >= '0' && c <= '9'; }) ||
                std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
                r.fail(entry.first.Mark(),
                       "host '" + name +
                           "': expected address, or a port (1..65535, optionally "
                           "/udp or /tcp), got '" +
                           key + "'");
            }
            const auto port = static_cast<std::uint16_t>(std::stoi(port_text));
            (udp ? h.udp : h.tcp)[port] = parse_service(r, entry.second, udp);
        }
        s.hosts.push_back(std::move(h));
    }
}

std::vector<std::string> fault_kind_names() {
    std::vector<std::string> v;
    for (const auto& k : builtin_faults().kinds())
        v.push_back(k.name);
    return v;
}

FaultMatch parse_match(const ConfigReader& r, const YAML::Node& n) {
    r.expect_map(n, "match");
    r.check_keys(n, {"host", "port", "socket", "proto"}, "match");
    FaultMatch m;
    if (const auto v = n["host"]) m.host = r.scalar(v, "match host");
    if (const auto v = n["port"]) {
        const auto port = r.unsigned_int(v, "match port");
        if (port < 1 || port > 65535) r.fail(v.Mark(), "match port must be 1..65535");
        m.port = static_cast<int>(port);
    }
    if (const auto v = n["socket"]) m.socket = r.unsigned_int(v, "match socket");
    if (const auto v = n["proto"]) m.udp = r.one_of(v, "match proto", {"tcp", "udp"}) == "udp";
    return m;
}

// A fault: a kind name alone, or a mapping with kind and the rest.
FaultSpec parse_fault(const ConfigReader& r, const YAML::Node& n, bool allow_for) {
    FaultSpec f;
    const auto kinds = fault_kind_names();
    if (n.IsScalar()) {
        f.kind = r.one_of(n, "a fault", kinds);
    } else {
        r.expect_map(n, "a fault");
        const auto kind = n["kind"];
        if (!kind)
            r.fail(n.Mark(), "a fault needs kind: (one of " + ConfigReader::join(kinds) + ")");
        f.kind = r.one_of(kind, "kind", kinds);
        const FaultKind& fk = builtin_faults().get(f.kind);
        for (const auto& kv : n) {
            const std::string key = r.scalar(kv.first, "a key in a fault");
            if (key == "kind") continue;
            if (key == "name") {
                f.name = r.scalar(kv.second, "name");
            } else if (key == "match") {
                f.match = parse_match(r, kv.second);
            } else if (key == "direction") {
                const std::string d = r.one_of(kv.second, "direction", {"both", "up", "down"});
                f.direction = d == "up"     ? Direction::up
                              : d == "down" ? Direction::down
                                            : Direction::both;
            } else if (key == "probability") {
                f.probability = r.number(kv.second, "probability", 0.0, 1.0);
            } else if (key == "for" && allow_for) {
                f.duration = r.duration(kv.second, "for");
            } else if (std::any_of(fk.settings.begin(), fk.settings.end(),
                                   [&](const auto& s) { return s.first == key; })) {
                f.settings[key] = r.scalar(kv.second, f.kind + " " + key);
            } else {
                std::vector<std::string> allowed = {"kind", "name", "match", "direction",
                                                    "probability"};
                if (allow_for) allowed.push_back("for");
                for (const auto& s : fk.settings)
                    allowed.push_back(s.first);
                std::string hint;
                if (key == "for") hint = " (in a timeline entry, for: goes on the entry)";
                r.fail(kv.first.Mark(), "unknown key '" + key + "' in fault " + f.kind +
                                            " (expected one of " + ConfigReader::join(allowed) +
                                            ")" + hint);
            }
        }
    }
    try {
        make_effect(f);
    } catch (const UsageError& e) {
        // Point at the setting the message names, if it names one.
        YAML::Mark mark = n.Mark();
        const std::string msg = e.what();
        if (n.IsMap()) {
            for (const auto& kv : n) {
                const std::string key = kv.first.Scalar();
                if (msg.find("): " + key + " ") != std::string::npos) mark = kv.second.Mark();
            }
        }
        r.fail(mark, msg);
    }
    return f;
}

TimelineEntry fault_at_start(FaultSpec f, const YAML::Node& n) {
    TimelineEntry e;
    e.trigger = TimelineEntry::Trigger::at;
    e.duration = f.duration;
    f.duration.reset();
    e.fault = std::move(f);
    e.line = n.Mark().line + 1;
    return e;
}

void parse_link(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "link");
    r.check_keys(node, {"latency", "jitter", "distribution", "bandwidth", "loss"}, "link");
    // The link as standing faults named "link".
    const auto add = [&](const std::string& kind, FaultSettings settings) {
        FaultSpec f;
        f.kind = kind;
        f.name = "link";
        f.settings = std::move(settings);
        try {
            make_effect(f);
        } catch (const UsageError& e) {
            r.fail(node.Mark(), std::string("link: ") + e.what());
        }
        s.timeline.push_back(fault_at_start(std::move(f), node));
    };
    if (node["latency"] || node["jitter"]) {
        FaultSettings st;
        if (const auto v = node["latency"]) {
            r.duration(v, "latency");
            st["latency"] = v.Scalar();
        }
        if (const auto v = node["jitter"]) {
            r.duration(v, "jitter");
            st["jitter"] = v.Scalar();
        }
        if (const auto v = node["distribution"])
            st["distribution"] = r.one_of(v, "distribution", {"uniform", "normal"});
        add("latency", std::move(st));
    } else if (const auto v = node["distribution"]) {
        r.fail(v.Mark(), "distribution needs latency or jitter");
    }
    if (const auto v = node["bandwidth"]) {
        const std::string rate = r.scalar(v, "bandwidth");
        if (!parse_rate(rate)) {
            r.fail(v.Mark(),
                   "bandwidth must be a rate like 9600bit, 256kbit, 1Mbit or 32KB/s, got '" + rate +
                       "'");
        }
        add("bandwidth", {{"rate", rate}});
    }
    if (const auto v = node["loss"]) {
        r.number(v, "loss", 0.0, 1.0);
        add("loss", {{"rate", v.Scalar()}});
    }
}

void parse_faults(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    if (!node.IsSequence()) r.fail(node.Mark(), "faults must be a list of faults");
    for (const auto& n : node)
        s.timeline.push_back(fault_at_start(parse_fault(r, n, true), n));
}

void parse_timeline(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    if (!node.IsSequence()) r.fail(node.Mark(), "timeline must be a list of entries");
    std::vector<std::pair<std::size_t, YAML::Node>> afters;
    for (const auto& n : node) {
        r.expect_map(n, "a timeline entry");
        r.check_keys(n,
                     {"name", "at", "every", "start", "after", "delay", "jitter", "count", "for",
                      "probability", "fault"},
                     "a timeline entry");
        TimelineEntry e;
        e.line = n.Mark().line + 1;
        const int triggers = (n["at"] ? 1 : 0) + (n["every"] ? 1 : 0) + (n["after"] ? 1 : 0);
        if (triggers != 1) r.fail(n.Mark(), "a timeline entry has exactly one of at, every, after");
        const auto fault = n["fault"];
        if (!fault) r.fail(n.Mark(), "a timeline entry needs fault: (what happens)");
        e.fault = parse_fault(r, fault, false);
        if (const auto v = n["name"]) e.fault.name = r.scalar(v, "name");
        const bool instant = builtin_faults().get(e.fault.kind).scope == FaultScope::instant;
        if (const auto v = n["for"]) {
            if (instant) r.fail(v.Mark(), e.fault.kind + " happens at once; it takes no for:");
            e.duration = r.duration(v, "for");
        }
        if (const auto v = n["jitter"]) e.jitter = r.duration(v, "jitter");
        if (const auto v = n["probability"]) e.probability = r.number(v, "probability", 0.0, 1.0);
        if (const auto v = n["count"]) e.count = r.unsigned_int(v, "count");
        if (const auto v = n["at"]) {
            e.trigger = TimelineEntry::Trigger::at;
            e.at = r.duration(v, "at");
        } else if (const auto ev = n["every"]) {
            e.trigger = TimelineEntry::Trigger::every;
            e.every = r.duration(ev, "every");
            if (e.every.count() <= 0) r.fail(ev.Mark(), "every must be above zero");
            e.at = n["start"] ? r.duration(n["start"], "start") : e.every;
            if (!instant && !e.duration) {
                r.fail(ev.Mark(), "an every: entry needs for: (how long each " + e.fault.kind +
                                      " lasts), unless the fault happens at once");
            }
            if (e.duration && *e.duration >= e.every) {
                r.fail(n["for"].Mark(), "for must be shorter than every");
            }
        } else {
            e.trigger = TimelineEntry::Trigger::after;
            e.after = r.scalar(n["after"], "after");
            if (const auto dv = n["delay"]) e.delay = r.duration(dv, "delay");
            afters.emplace_back(s.timeline.size(), n["after"]);
        }
        if (n["start"] && e.trigger != TimelineEntry::Trigger::every)
            r.fail(n["start"].Mark(), "start goes with every:");
        if (n["delay"] && e.trigger != TimelineEntry::Trigger::after)
            r.fail(n["delay"].Mark(), "delay goes with after:");
        s.timeline.push_back(std::move(e));
    }
    // `after:` names a device event, or another entry (applied or .lifted).
    std::vector<std::string> known = device_event_names();
    for (const auto& e : s.timeline) {
        known.push_back(e.fault.name.empty() ? e.fault.kind : e.fault.name);
        known.push_back(known.back() + ".lifted");
    }
    for (const auto& [index, n] : afters) {
        const std::string& ev = s.timeline[index].after;
        if (std::find(known.begin(), known.end(), ev) == known.end()) {
            std::string events;
            for (const auto& d : device_event_names())
                events += (events.empty() ? "" : ", ") + d;
            r.fail(n.Mark(), "after: '" + ev + "' is neither a device event (" + events +
                                 ") nor the name of a fault in this scenario (or NAME.lifted)");
        }
    }
}

SimStatus parse_sim(const ConfigReader& r, const YAML::Node& n) {
    const std::string w = r.one_of(n, "sim", {"ready", "absent", "locked", "puk", "blocked"});
    return w == "ready"     ? SimStatus::ready
           : w == "locked"  ? SimStatus::pin_required
           : w == "puk"     ? SimStatus::puk_required
           : w == "blocked" ? SimStatus::blocked
                            : SimStatus::absent;
}

void parse_network(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "network");
    r.check_keys(node, {"registration", "csq", "operator"}, "network");
    if (const auto v = node["registration"]) {
        const std::string w =
            r.one_of(v, "registration",
                     {"home", "roaming", "searching", "denied", "not_searching", "unknown"});
        s.registration = w == "home"        ? RegState::home
                         : w == "roaming"   ? RegState::roaming
                         : w == "searching" ? RegState::searching
                         : w == "denied"    ? RegState::denied
                         : w == "unknown"   ? RegState::unknown
                                            : RegState::not_searching;
    }
    if (const auto v = node["csq"]) {
        const auto csq = r.unsigned_int(v, "csq");
        if (csq > 31 && csq != 99) r.fail(v.Mark(), "csq must be 0..31 or 99 (unknown)");
        s.csq = static_cast<int>(csq);
    }
    if (const auto v = node["operator"]) {
        r.expect_map(v, "operator");
        r.check_keys(v, {"long", "short", "mcc", "mnc"}, "operator");
        Operator op;
        if (const auto x = v["long"]) op.long_name = r.scalar(x, "operator long");
        if (const auto x = v["short"]) op.short_name = r.scalar(x, "operator short");
        if (const auto x = v["mcc"]) op.mcc = r.scalar(x, "operator mcc");
        if (const auto x = v["mnc"]) op.mnc = r.scalar(x, "operator mnc");
        s.network_operator = op;
    }
}

// uart: {N: {script: [steps]}}: a device wired to UART N (0-6), played in device
// time from when the app opens the UART.
void parse_uart(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "uart");
    for (const auto& kv : node) {
        const auto port = r.number(kv.first, "uart: a UART number", 0, 6);
        if (port != static_cast<int>(port)) r.fail(kv.first.Mark(), "uart: a UART number is 0..6");
        r.expect_map(kv.second, "uart: a UART's device");
        r.check_keys(kv.second, {"script"}, "uart: a UART's device");
        UartPeer peer;
        if (const auto script = kv.second["script"]) {
            if (!script.IsSequence()) r.fail(script.Mark(), "uart: script must be a list of steps");
            for (const auto& step : script)
                peer.steps.push_back(parse_script_step(r, step, false));
        }
        s.uart[static_cast<int>(port)] = std::move(peer);
    }
}

// Bytes written as hex digits, spaces allowed between them ("2c06", "6a 8c").
std::string hex_bytes(const ConfigReader& r, const YAML::Node& n, const std::string& what) {
    std::string digits;
    for (const char c : r.scalar(n, what)) {
        if (c == ' ') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            r.fail(n.Mark(), what + " must be bytes in hex like 2c06 or '6a 8c', got '" +
                                 r.scalar(n, what) + "'");
        }
        digits += c;
    }
    if (digits.size() % 2 != 0) {
        r.fail(n.Mark(), what + " must be whole bytes (an even number of hex digits), got '" +
                             r.scalar(n, what) + "'");
    }
    std::string out;
    for (std::size_t i = 0; i < digits.size(); i += 2)
        out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
    return out;
}

// i2c: {BUS: {ADDRESS: {registers: {REG: BYTES}, answers: {CMD: BYTES}}}}:
// devices on the module's I2C buses (0-3, machine_iic.c:63), at 7-bit
// addresses (0x44 or 68).
void parse_i2c(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "i2c");
    for (const auto& bus : node) {
        const auto id = r.number(bus.first, "i2c: a bus number", 0, 3);
        if (id != static_cast<int>(id)) r.fail(bus.first.Mark(), "i2c: a bus number is 0..3");
        r.expect_map(bus.second, "i2c: a bus's devices");
        auto& devices = s.i2c[static_cast<int>(id)];
        for (const auto& dev : bus.second) {
            const std::string text = r.scalar(dev.first, "i2c: a device address");
            const auto address = parse_whole(text, 3);
            if (!address || *address > 127) {
                r.fail(dev.first.Mark(),
                       "i2c: a device address is a 7-bit address, 0..127 or 0x00..0x7f, got '" +
                           text + "'");
            }
            r.expect_map(dev.second, "i2c: a device");
            r.check_keys(dev.second, {"registers", "answers"}, "i2c: a device");
            I2cDevice d;
            const auto table = [&](const char* key, const std::string& what,
                                   const std::string& value_what,
                                   std::map<std::string, std::string>& into) {
                const auto entries = dev.second[key];
                if (!entries) return;
                r.expect_map(entries, "i2c: " + std::string(key));
                for (const auto& kv : entries) {
                    std::string k = hex_bytes(r, kv.first, "i2c: " + what);
                    if (k.empty() || k.size() > 4) {
                        r.fail(kv.first.Mark(), "i2c: " + what + " is 1 to 4 bytes in hex");
                    }
                    into[std::move(k)] = hex_bytes(r, kv.second, "i2c: " + value_what);
                }
            };
            table("registers", "a register address", "a register's bytes", d.registers);
            table("answers", "a command", "a command's answer", d.answers);
            devices[static_cast<int>(*address)] = std::move(d);
        }
    }
}

void parse_pdp(const ConfigReader& r, const YAML::Node& node, Scenario& s) {
    if (!node.IsSequence()) r.fail(node.Mark(), "pdp must be a list of contexts");
    for (const auto& n : node) {
        r.expect_map(n, "a pdp context");
        r.check_keys(n, {"id", "apn", "ip_type", "active", "reconnect", "address"},
                     "a pdp context");
        PdpSetup p;
        if (const auto v = n["id"]) {
            const auto id = r.unsigned_int(v, "id");
            if (id < 1 || id > static_cast<std::uint64_t>(Cellular::kPdpCount)) {
                r.fail(v.Mark(), "id must be 1.." + std::to_string(Cellular::kPdpCount));
            }
            p.id = static_cast<int>(id);
        }
        for (const auto& other : s.pdp) {
            if (other.id == p.id)
                r.fail(n.Mark(), "pdp context " + std::to_string(p.id) + " twice");
        }
        if (const auto v = n["apn"]) p.apn = r.scalar(v, "apn");
        if (const auto v = n["ip_type"]) {
            const std::string t = r.one_of(v, "ip_type", {"ipv4", "ipv6", "ipv4v6"});
            p.ip_type = t == "ipv4" ? 0 : t == "ipv6" ? 1 : 2;
        }
        if (const auto v = n["active"]) p.active = r.boolean(v, "active");
        if (const auto v = n["reconnect"]) p.auto_connect = r.boolean(v, "reconnect");
        if (const auto v = n["address"]) {
            const std::string a = r.scalar(v, "address");
            const auto ip = parse_ip(a);
            if (!ip || !ip->is_v4())
                r.fail(v.Mark(), "address must be an IPv4 address, got '" + a + "'");
            p.address = *ip;
        }
        s.pdp.push_back(p);
    }
}

void parse_module(const ConfigReader& r, const YAML::Node& n, Scenario& s) {
    const auto model = [&](const YAML::Node& v) {
        const std::string m = r.scalar(v, "module");
        try {
            s.module = find_module(m).model;
        } catch (const UsageError&) {
            r.fail(v.Mark(), "module must be one of " + ConfigReader::join(names_of_modules()) +
                                 ", got '" + m + "'");
        }
    };
    if (n.IsScalar()) {
        model(n);
        return;
    }
    r.expect_map(n, "module");
    r.check_keys(n, {"model", "sockets", "sndbuf", "rcvbuf", "call_cost", "line_cost"}, "module");
    if (const auto v = n["model"]) model(v);
    if (const auto v = n["sockets"]) {
        const auto k = r.unsigned_int(v, "sockets");
        if (k < 1 || k > 64) r.fail(v.Mark(), "sockets must be 1..64");
        s.sockets = static_cast<int>(k);
    }
    for (const char* key : {"sndbuf", "rcvbuf"}) {
        if (const auto v = n[key]) {
            const std::string text = r.scalar(v, key);
            const auto b = parse_bytes(text);
            if (!b || *b < 536 || *b > 1e6) {
                r.fail(v.Mark(), std::string(key) + " must be a size from 536 bytes to 1MB, got '" +
                                     text + "'");
            }
            (std::string(key) == "sndbuf" ? s.sndbuf : s.rcvbuf) = static_cast<std::size_t>(*b);
        }
    }
    // The module's CPU in device time (README "Device time").
    for (const char* key : {"call_cost", "line_cost"}) {
        if (const auto v = n[key]) {
            const Duration d = r.duration(v, key);
            if (d > std::chrono::seconds(1))
                r.fail(v.Mark(), std::string(key) + " must be at most 1s");
            (std::string(key) == "call_cost" ? s.call_cost : s.line_cost) = d;
        }
    }
}

}  // namespace

std::optional<double> leading_number(const std::string& text, std::size_t& used) {
    used = 0;
    double d = 0;
    try {
        d = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (used == 0 || !std::isfinite(d)) return std::nullopt;
    return d;
}

std::optional<double> parse_number(const std::string& text) {
    std::size_t used = 0;
    const auto d = leading_number(text, used);
    if (!d || used != text.size()) return std::nullopt;
    return d;
}

std::optional<std::int64_t> parse_whole(const std::string& text, std::size_t max_digits) {
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const std::string digits = hex ? text.substr(2) : text;
    const bool ok =
        !digits.empty() && digits.size() <= max_digits &&
        std::all_of(digits.begin(), digits.end(), [hex](char c) {
            return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : c >= '0' && c <= '9';
        });
    if (!ok) return std::nullopt;
    return std::stoll(digits, nullptr, hex ? 16 : 10);
}

std::optional<Duration> parse_duration(const std::string& text) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
    std::size_t used = 0;
    const auto number = leading_number(text, used);
    if (!number || *number < 0) return std::nullopt;
    const double value = *number;
    const std::string unit = text.substr(used);
    double seconds = value;
    if (unit == "ms") {
        seconds = value / 1000;
    } else if (unit == "us") {
        seconds = value / 1e6;
    } else if (unit == "m" || unit == "min") {
        seconds = value * 60;
    } else if (unit == "h") {
        seconds = value * 3600;
    } else if (!unit.empty() && unit != "s") {
        return std::nullopt;
    }
    if (seconds > 1e9) return std::nullopt;
    return from_seconds(seconds);
}

Scenario parse_scenario(const std::string& text, const std::string& source) {
    const std::string dir = std::filesystem::path(source).parent_path().string();
    const ConfigReader r(source, dir.empty() ? "." : dir);
    const YAML::Node root = r.load(text);
    Scenario s;
    s.source = source;
    if (!root || root.IsNull()) throw ScenarioError(source + ": the scenario is empty");
    r.expect_map(root, "a scenario");
    r.check_keys(
        root,
        {"version", "name", "description", "module", "dialect", "clock", "seed", "sim", "network",
         "pdp", "dns", "forward", "hosts", "link", "faults", "timeline", "uart", "i2c"},
        "the scenario");
    if (const auto n = root["version"]) {
        const auto v = r.unsigned_int(n, "version");
        if (v != 1) r.fail(n.Mark(), "version must be 1 (the only schema version so far)");
        s.version = 1;
    }
    if (const auto n = root["name"]) s.name = r.scalar(n, "name");
    if (const auto n = root["description"]) s.description = r.scalar(n, "description");
    if (const auto n = root["module"]) parse_module(r, n, s);
    if (const auto n = root["dialect"]) s.dialect = r.one_of(n, "dialect", names_of_dialects());
    if (const auto n = root["clock"]) s.clock = r.one_of(n, "clock", {"real", "virtual"});
    if (const auto n = root["seed"]) s.seed = r.unsigned_int(n, "seed");
    if (const auto n = root["dns"]) parse_dns(r, n, s);
    if (const auto n = root["forward"]) parse_forward(r, n, s);
    if (const auto n = root["hosts"]) parse_hosts(r, n, s);
    if (const auto n = root["sim"]) s.sim = parse_sim(r, n);
    if (const auto n = root["network"]) parse_network(r, n, s);
    if (const auto n = root["pdp"]) parse_pdp(r, n, s);
    if (const auto n = root["link"]) parse_link(r, n, s);
    if (const auto n = root["faults"]) parse_faults(r, n, s);
    if (const auto n = root["timeline"]) parse_timeline(r, n, s);
    if (const auto n = root["uart"]) parse_uart(r, n, s);
    if (const auto n = root["i2c"]) parse_i2c(r, n, s);
    return s;
}

Scenario load_scenario(const std::string& path) {
    return parse_scenario(read_config_file(path, "the scenario file", YamlLimits{}.max_bytes),
                          path);
}

void apply_scenario(const Scenario& s, ModemConfig& config) {
    if (s.module) config.module = *s.module;
    if (s.dialect) config.dialect = *s.dialect;
    if (s.clock) config.clock = *s.clock == "virtual" ? ClockMode::virtual_time : ClockMode::real;
    if (s.seed) config.seed = *s.seed;
    for (const auto& [name, addrs] : s.dns) {
        config.dns[name] = addrs;
    }
    for (const auto& [from, to] : s.forward) {
        config.forwards[from] = to;
    }
    for (const auto& h : s.hosts) {
        config.hosts.push_back(h);
    }
    if (s.sim) config.sim = s.sim;
    if (s.registration) config.registration = s.registration;
    if (s.csq) config.csq = s.csq;
    if (s.network_operator) config.network_operator = s.network_operator;
    if (!s.pdp.empty()) config.pdp = s.pdp;
    if (s.sockets) config.socket_limit = s.sockets;
    if (s.sndbuf) config.sndbuf = s.sndbuf;
    if (s.rcvbuf) config.rcvbuf = s.rcvbuf;
    if (s.call_cost) config.call_cost = s.call_cost;
    if (s.line_cost) config.line_cost = s.line_cost;
    for (const auto& e : s.timeline)
        config.timeline.push_back(e);
    for (const auto& [port, peer] : s.uart)
        config.uart_peers[port] = peer;
    config.i2c_devices = s.i2c;
    // Every peer in-process: virtual time unless the scenario says otherwise.
    if (!s.clock && !s.hosts.empty() && s.forward.empty()) config.clock = ClockMode::virtual_time;
}

std::string describe(const Scenario& s) {
    std::ostringstream o;
    o << (s.name.empty() ? s.source : s.name) << "\n";
    if (!s.description.empty()) o << "  " << s.description << "\n";
    o << "  module:  " << s.module.value_or(default_module().model) << "\n";
    o << "  dialect: " << s.dialect.value_or(default_dialect().name) << "\n";
    o << "  clock:   " << s.clock.value_or("automatic") << "\n";
    o << "  seed:    " << (s.seed ? std::to_string(*s.seed) : std::string("from the command line"))
      << "\n";
    if (s.dns.empty()) {
        o << "  dns:     "
          << (s.hosts.empty() ? "(the PC's resolver)" : "(the virtual hosts' names)") << "\n";
    } else {
        o << "  dns:     " << s.dns.size() << " name" << (s.dns.size() == 1 ? "" : "s") << "\n";
        for (const auto& [name, addrs] : s.dns) {
            o << "    " << name << " ->";
            for (const auto& a : addrs)
                o << " " << a;
            o << "\n";
        }
    }
    for (const auto& h : s.hosts) {
        o << "  host:    " << h.name << (h.address ? " (" + *h.address + ")" : std::string())
          << "\n";
        for (const auto* ports : {&h.tcp, &h.udp}) {
            for (const auto& [port, spec] : *ports) {
                o << "    " << port << (ports == &h.udp ? "/udp " : "/tcp ") << spec.kind;
                const std::string more = spec.config ? spec.config->summary() : std::string();
                if (!more.empty()) o << ", " << more;
                if (spec.tls) {
                    o << ", TLS ("
                      << (spec.tls->cert_file.empty() ? "the run's CA" : spec.tls->cert_file)
                      << ")";
                }
                o << "\n";
            }
        }
    }
    for (const auto& [port, peer] : s.uart) {
        o << "  uart:    UART" << port << ", a scripted device (" << peer.steps.size()
          << (peer.steps.size() == 1 ? " step" : " steps") << ")\n";
    }
    for (const auto& [bus, devices] : s.i2c) {
        for (const auto& [address, dev] : devices) {
            char at[8];
            std::snprintf(at, sizeof at, "0x%02x", address);
            o << "  i2c:     I2C" << bus << " " << at << ", a device (" << dev.registers.size()
              << (dev.registers.size() == 1 ? " register block, " : " register blocks, ")
              << dev.answers.size() << (dev.answers.size() == 1 ? " answer)\n" : " answers)\n");
        }
    }
    if (!s.forward.empty()) {
        o << "  forward: " << s.forward.size() << " destination"
          << (s.forward.size() == 1 ? "" : "s") << " (through the PC)\n";
        for (const auto& [from, to] : s.forward)
            o << "    " << from << " -> " << to << "\n";
    }
    const auto limits = s.sockets || s.sndbuf || s.rcvbuf || s.call_cost || s.line_cost;
    if (limits) {
        o << "  limits: ";
        if (s.sockets) o << " " << *s.sockets << " sockets";
        if (s.sndbuf) o << " sndbuf " << *s.sndbuf << " B";
        if (s.rcvbuf) o << " rcvbuf " << *s.rcvbuf << " B";
        if (s.call_cost) o << " call " << to_seconds(*s.call_cost) * 1e6 << " us";
        if (s.line_cost) o << " line " << to_seconds(*s.line_cost) * 1e6 << " us";
        o << "\n";
    }
    if (s.sim || s.registration || s.csq || s.network_operator) {
        o << "  cell:   ";
        if (s.sim) o << " SIM " << static_cast<int>(*s.sim);
        if (s.registration) o << " registration " << static_cast<int>(*s.registration);
        if (s.csq) o << " CSQ " << *s.csq;
        if (s.network_operator) o << " operator " << s.network_operator->short_name;
        o << "\n";
    }
    for (const auto& p : s.pdp) {
        o << "  pdp " << p.id << ":   " << (p.apn.empty() ? "(default APN)" : p.apn) << ", "
          << (p.ip_type == 0   ? "IPv4"
              : p.ip_type == 1 ? "IPv6"
                               : "IPv4v6")
          << (p.active ? ", active at boot" : ", inactive")
          << (p.auto_connect ? ", reconnects" : "") << "\n";
    }
    if (!s.timeline.empty()) {
        o << "  faults and timeline (" << s.timeline.size() << "):\n";
        for (const auto& e : s.timeline) {
            o << "    ";
            switch (e.trigger) {
                case TimelineEntry::Trigger::at:
                    o << (e.at.count() == 0 ? std::string("from boot")
                                            : "at " + format_duration(e.at));
                    break;
                case TimelineEntry::Trigger::every:
                    o << "every " << format_duration(e.every) << " from " << format_duration(e.at);
                    if (e.count) o << " (" << *e.count << " times)";
                    break;
                case TimelineEntry::Trigger::after:
                    o << "after " << e.after;
                    if (e.delay.count() > 0) o << " + " << format_duration(e.delay);
                    if (e.count.value_or(1) != 1)
                        o << " ("
                          << (*e.count == 0 ? std::string("every time")
                                            : std::to_string(*e.count) + " times")
                          << ")";
                    break;
            }
            if (e.jitter.count() > 0) o << " +-" << format_duration(e.jitter);
            o << ": " << describe(e.fault);
            if (e.duration) o << " for " << format_duration(*e.duration);
            if (e.probability < 1.0) o << ", probability " << e.probability;
            o << "\n";
        }
    }
    return o.str();
}

std::string describe(const FaultSpec& f) {
    std::string out = f.kind;
    if (!f.name.empty() && f.name != f.kind) out += " '" + f.name + "'";
    for (const auto& [k, v] : f.settings)
        out += " " + k + "=" + v;
    std::string scope;
    const auto add = [&](const std::string& x) { scope += (scope.empty() ? "" : ", ") + x; };
    if (f.match.host) add("host " + *f.match.host);
    if (f.match.port) add("port " + std::to_string(*f.match.port));
    if (f.match.socket) add("socket " + std::to_string(*f.match.socket));
    if (f.match.udp) add(*f.match.udp ? "udp" : "tcp");
    if (f.direction != Direction::both) add(to_string(f.direction));
    if (f.probability < 1.0) {
        std::ostringstream p;
        p << "probability " << f.probability;
        add(p.str());
    }
    if (!scope.empty()) out += " (" + scope + ")";
    if (f.duration) out += " for " + format_duration(*f.duration);
    return out;
}

FaultSpec fault_spec_from(const std::map<std::string, std::string>& fields,
                          const std::map<std::string, std::string>& match) {
    // Build the same YAML a scenario would hold and read it with the same rules.
    YAML::Emitter e;
    e << YAML::BeginMap;
    for (const auto& [k, v] : fields)
        e << YAML::Key << k << YAML::Value << v;
    if (!match.empty()) {
        e << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : match)
            e << YAML::Key << k << YAML::Value << v;
        e << YAML::EndMap;
    }
    e << YAML::EndMap;
    const ConfigReader r("fault");
    const YAML::Node n = YAML::Load(e.c_str());
    try {
        return parse_fault(r, n, true);
    } catch (const ScenarioError& err) {
        // "fault:1:3: message" -> "message": there is no file to point at.
        std::string msg = err.what();
        const auto colon = msg.find(": ");
        if (msg.rfind("fault:", 0) == 0 && colon != std::string::npos) msg = msg.substr(colon + 2);
        throw UsageError(msg);
    }
}

}  // namespace qpysim
