#include "qpysim/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "qpysim/address.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/profile.hpp"

namespace qpysim {

namespace {

// Walks YAML nodes and reports every problem at its line and column.
class Reader {
  public:
    explicit Reader(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& msg) const {
        std::string where = source_;
        if (mark.line >= 0) {
            where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
        }
        throw ScenarioError(where + ": " + msg);
    }

    void expect_map(const YAML::Node& n, const std::string& what) const {
        if (!n.IsMap()) fail(n.Mark(), what + " must be a mapping (key: value lines)");
    }

    std::string scalar(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar()) fail(n.Mark(), what + " must be a single value, not a " + kind(n));
        return n.Scalar();
    }

    std::string one_of(const YAML::Node& n, const std::string& what,
                       const std::vector<std::string>& allowed) const {
        const std::string v = scalar(n, what);
        if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
            fail(n.Mark(), what + " must be one of " + join(allowed) + ", got '" + v + "'");
        }
        return v;
    }

    std::uint64_t unsigned_int(const YAML::Node& n, const std::string& what) const {
        const std::string v = scalar(n, what);
        if (v.empty() ||
            !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            fail(n.Mark(), what + " must be a whole number >= 0, got '" + v + "'");
        }
        try {
            return std::stoull(v);
        } catch (const std::exception&) {
            fail(n.Mark(), what + " is too large: '" + v + "'");
        }
    }

    void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                    const std::string& where) const {
        for (const auto& kv : map) {
            const std::string key = scalar(kv.first, "a key in " + where);
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                fail(kv.first.Mark(), "unknown key '" + key + "' in " + where +
                                          " (expected one of " + join(allowed) + ")");
            }
        }
    }

    static std::string kind(const YAML::Node& n) {
        switch (n.Type()) {
            case YAML::NodeType::Map:
                return "mapping";
            case YAML::NodeType::Sequence:
                return "list";
            case YAML::NodeType::Null:
                return "empty value";
            default:
                return "value";
        }
    }

    static std::string join(const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v)
            out += (out.empty() ? "" : ", ") + s;
        return out;
    }

  private:
    std::string source_;
};

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

void parse_dns(const Reader& r, const YAML::Node& node, Scenario& s) {
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

void parse_forward(const Reader& r, const YAML::Node& node, Scenario& s) {
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

Duration duration(const Reader& r, const YAML::Node& n, const std::string& what) {
    const std::string text = r.scalar(n, what);
    const auto d = parse_duration(text);
    if (!d) {
        r.fail(n.Mark(),
               what + " must be a duration like 250ms, 1.5s, 5m or a number of seconds, got '" +
                   text + "'");
    }
    return *d;
}

HttpRoute parse_route(const Reader& r, const YAML::Node& n, const std::string& base_dir) {
    r.expect_map(n, "an http route");
    r.check_keys(n, {"method", "path", "status", "headers", "body", "body_file", "delay", "close"},
                 "an http route");
    HttpRoute route;
    if (const auto v = n["method"]) route.method = r.scalar(v, "method");
    if (const auto v = n["path"]) route.path = r.scalar(v, "path");
    if (const auto v = n["status"]) {
        const auto st = r.unsigned_int(v, "status");
        if (st < 100 || st > 599) r.fail(v.Mark(), "status must be 100..599");
        route.status = static_cast<int>(st);
    }
    if (const auto v = n["headers"]) {
        r.expect_map(v, "headers");
        for (const auto& kv : v) {
            route.headers.emplace_back(r.scalar(kv.first, "a header name"),
                                       r.scalar(kv.second, "a header value"));
        }
    }
    if (n["body"] && n["body_file"])
        r.fail(n["body_file"].Mark(), "give body or body_file, not both");
    if (const auto v = n["body"]) route.body = r.scalar(v, "body");
    if (const auto v = n["body_file"]) {
        const std::string rel = r.scalar(v, "body_file");
        const std::filesystem::path path = std::filesystem::path(base_dir) / rel;
        std::ifstream f(path, std::ios::binary);
        if (!f) r.fail(v.Mark(), "body_file: cannot read '" + path.string() + "'");
        std::stringstream text;
        text << f.rdbuf();
        route.body = text.str();
    }
    if (const auto v = n["delay"]) route.delay = duration(r, v, "delay");
    if (const auto v = n["close"]) route.close = v.as<bool>(false);
    return route;
}

ScriptStep parse_step(const Reader& r, const YAML::Node& n) {
    ScriptStep step;
    if (n.IsScalar()) {
        const std::string word = n.Scalar();
        if (word == "close") {
            step.kind = ScriptStep::Kind::close;
        } else if (word == "reset") {
            step.kind = ScriptStep::Kind::reset;
        } else {
            r.fail(n.Mark(),
                   "a script step is close, reset, or one of expect/send/delay: TEXT; got '" +
                       word + "'");
        }
        return step;
    }
    r.expect_map(n, "a script step");
    if (n.size() != 1) r.fail(n.Mark(), "a script step has exactly one of expect, send, delay");
    r.check_keys(n, {"expect", "send", "delay"}, "a script step");
    if (const auto v = n["expect"]) {
        step.kind = ScriptStep::Kind::expect;
        step.text = r.scalar(v, "expect");
    } else if (const auto sv = n["send"]) {
        step.kind = ScriptStep::Kind::send;
        step.text = r.scalar(sv, "send");
    } else {
        step.kind = ScriptStep::Kind::delay;
        step.delay = duration(r, n["delay"], "delay");
    }
    return step;
}

ServiceSpec parse_service(const Reader& r, const YAML::Node& n, bool udp,
                          const std::string& base_dir) {
    ServiceSpec spec;
    if (n.IsScalar()) {
        const std::string word = n.Scalar();
        if (word == "echo") {
            spec.kind = ServiceSpec::Kind::echo;
        } else if (word == "discard") {
            spec.kind = ServiceSpec::Kind::discard;
        } else {
            r.fail(n.Mark(), std::string("a service is echo, discard") +
                                 (udp ? "" : ", http: or script:") + ", got '" + word + "'");
        }
        return spec;
    }
    if (udp) r.fail(n.Mark(), "a UDP service is echo or discard");
    r.expect_map(n, "a service");
    r.check_keys(n, {"http", "script"}, "a service");
    if (n.size() != 1) r.fail(n.Mark(), "a service is one of http, script");
    if (const auto v = n["http"]) {
        spec.kind = ServiceSpec::Kind::http;
        if (!v.IsSequence()) r.fail(v.Mark(), "http must be a list of routes");
        for (const auto& route : v)
            spec.routes.push_back(parse_route(r, route, base_dir));
    } else {
        const auto sv = n["script"];
        spec.kind = ServiceSpec::Kind::script;
        if (!sv.IsSequence()) r.fail(sv.Mark(), "script must be a list of steps");
        for (const auto& step : sv)
            spec.steps.push_back(parse_step(r, step));
    }
    return spec;
}

void parse_hosts(const Reader& r, const YAML::Node& node, Scenario& s,
                 const std::string& base_dir) {
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
            const ServiceSpec spec = parse_service(r, entry.second, udp, base_dir);
            if (udp) {
                h.udp[port] = spec.kind;
            } else {
                h.tcp[port] = spec;
            }
        }
        s.hosts.push_back(std::move(h));
    }
}

void parse_link(const Reader& r, const YAML::Node& node, Scenario& s) {
    r.expect_map(node, "link");
    r.check_keys(node, {"latency"}, "link");
    if (const auto v = node["latency"]) s.latency = duration(r, v, "latency");
}

}  // namespace

std::optional<Duration> parse_duration(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (value < 0 || text[0] == '-' || text[0] == '+') return std::nullopt;
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
    const Reader r(source);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        r.fail(e.mark, "not valid YAML: " + e.msg);
    }
    Scenario s;
    s.source = source;
    if (!root || root.IsNull()) throw ScenarioError(source + ": the scenario is empty");
    r.expect_map(root, "a scenario");
    r.check_keys(root,
                 {"version", "name", "description", "module", "dialect", "clock", "seed", "dns",
                  "forward", "hosts", "link"},
                 "the scenario");
    if (const auto n = root["version"]) {
        const auto v = r.unsigned_int(n, "version");
        if (v != 1) r.fail(n.Mark(), "version must be 1 (the only schema version so far)");
        s.version = 1;
    }
    if (const auto n = root["name"]) s.name = r.scalar(n, "name");
    if (const auto n = root["description"]) s.description = r.scalar(n, "description");
    if (const auto n = root["module"]) {
        s.module = r.scalar(n, "module");
        try {
            s.module = find_module(*s.module).model;
        } catch (const UsageError&) {
            r.fail(n.Mark(), "module must be one of " + Reader::join(names_of_modules()) +
                                 ", got '" + *s.module + "'");
        }
    }
    if (const auto n = root["dialect"]) s.dialect = r.one_of(n, "dialect", names_of_dialects());
    if (const auto n = root["clock"]) s.clock = r.one_of(n, "clock", {"real", "virtual"});
    if (const auto n = root["seed"]) s.seed = r.unsigned_int(n, "seed");
    if (const auto n = root["dns"]) parse_dns(r, n, s);
    if (const auto n = root["forward"]) parse_forward(r, n, s);
    const std::string base_dir = std::filesystem::path(source).parent_path().string();
    if (const auto n = root["hosts"]) parse_hosts(r, n, s, base_dir.empty() ? "." : base_dir);
    if (const auto n = root["link"]) parse_link(r, n, s);
    return s;
}

Scenario load_scenario(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ScenarioError(path + ": cannot open the scenario file");
    std::stringstream text;
    text << f.rdbuf();
    return parse_scenario(text.str(), path);
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
    if (s.latency) config.link.latency = *s.latency;
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
        o << "  dns:     (the PC's resolver)\n";
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
        for (const auto& [port, spec] : h.tcp) {
            o << "    " << port << "/tcp " << to_string(spec.kind);
            if (spec.kind == ServiceSpec::Kind::http)
                o << ", " << spec.routes.size() << " route(s)";
            if (spec.kind == ServiceSpec::Kind::script)
                o << ", " << spec.steps.size() << " step(s)";
            o << "\n";
        }
        for (const auto& [port, kind] : h.udp)
            o << "    " << port << "/udp " << to_string(kind) << "\n";
    }
    if (s.latency) o << "  link:    " << to_millis(*s.latency) << " ms one way\n";
    if (!s.forward.empty()) {
        o << "  forward: " << s.forward.size() << " destination"
          << (s.forward.size() == 1 ? "" : "s") << " (through the PC)\n";
        for (const auto& [from, to] : s.forward)
            o << "    " << from << " -> " << to << "\n";
    }
    return o.str();
}

}  // namespace qpysim
