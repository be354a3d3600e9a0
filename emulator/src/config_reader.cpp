#include "config_reader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace qpysim {

void ConfigReader::fail(const YAML::Mark& mark, const std::string& msg) const {
    std::string where = source_;
    if (mark.line >= 0) {
        where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    throw ScenarioError(where + ": " + msg);
}

std::string ConfigReader::one_of(const YAML::Node& n, const std::string& what,
                                 const std::vector<std::string>& allowed) const {
    const std::string v = scalar(n, what);
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        fail(n.Mark(), what + " must be one of " + join(allowed) + ", got '" + v + "'");
    }
    return v;
}

std::uint64_t ConfigReader::unsigned_int(const YAML::Node& n, const std::string& what) const {
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

double ConfigReader::number(const YAML::Node& n, const std::string& what, double lo,
                            double hi) const {
    const std::string v = scalar(n, what);
    std::size_t used = 0;
    double d = 0;
    try {
        d = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v.size() || !(d >= lo && d <= hi)) {
        std::ostringstream o;
        o << what << " must be a number from " << lo << " to " << hi << ", got '" << v << "'";
        fail(n.Mark(), o.str());
    }
    return d;
}

bool ConfigReader::boolean(const YAML::Node& n, const std::string& what) const {
    const std::string v = scalar(n, what);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    fail(n.Mark(), what + " must be true or false, got '" + v + "'");
}

Duration ConfigReader::duration(const YAML::Node& n, const std::string& what) const {
    const std::string text = scalar(n, what);
    const auto d = parse_duration(text);
    if (!d) {
        fail(n.Mark(),
             what + " must be a duration like 250ms, 1.5s, 5m or a number of seconds, got '" +
                 text + "'");
    }
    return *d;
}

std::string ConfigReader::file(const YAML::Node& n, const std::string& what) const {
    const std::string rel = scalar(n, what);
    const std::filesystem::path path = std::filesystem::path(base_dir_) / rel;
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(n.Mark(), what + ": cannot read '" + path.string() + "'");
    std::stringstream text;
    text << f.rdbuf();
    return text.str();
}

void ConfigReader::check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                              const std::string& where) const {
    for (const auto& kv : map) {
        const std::string key = scalar(kv.first, "a key in " + where);
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            fail(kv.first.Mark(), "unknown key '" + key + "' in " + where + " (expected one of " +
                                      join(allowed) + ")");
        }
    }
}

std::string ConfigReader::kind(const YAML::Node& n) {
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

std::string ConfigReader::join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace qpysim
