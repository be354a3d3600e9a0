#include "qpysim/scenario.hpp"

#include <algorithm>
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

}  // namespace

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
    r.check_keys(
        root,
        {"version", "name", "description", "module", "dialect", "clock", "seed", "dns", "forward"},
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
    for (const auto& [name, addrs] : s.dns)
        config.dns[name] = addrs;
    for (const auto& [from, to] : s.forward)
        config.forwards[from] = to;
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
    if (!s.forward.empty()) {
        o << "  forward: " << s.forward.size() << " destination"
          << (s.forward.size() == 1 ? "" : "s") << " (through the PC)\n";
        for (const auto& [from, to] : s.forward)
            o << "    " << from << " -> " << to << "\n";
    }
    return o.str();
}

}  // namespace qpysim
