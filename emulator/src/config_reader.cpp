#include "config_reader.hpp"

#include "qpysim/bytes.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>

namespace qpysim {

namespace {

// The offset of the first byte that is not part of well-formed UTF-8, if any.
std::optional<std::size_t> first_bad_utf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
        } else if (const std::size_t n = utf8_sequence(text, i)) {
            i += n;
        } else {
            return i;
        }
    }
    return std::nullopt;
}

// Counts the values a YAML document expands to, aliases included, and how
// deep it nests, from the parser's events: nothing is built, so a bomb is
// refused at the alias that crosses the bound, in time linear in the text.
class ShapeGuard final : public YAML::EventHandler {
  public:
    ShapeGuard(const ConfigReader& r, const YamlLimits& limits) : r_(r), limits_(limits) {}

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { leaf(m, a); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                  const std::string&) override {
        leaf(m, a);
    }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override {
        const auto it = sizes_.find(a);
        count(m, it == sizes_.end() ? 1 : it->second);
    }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                         YAML::EmitterStyle::value) override {
        open(m, a);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                    YAML::EmitterStyle::value) override {
        open(m, a);
    }
    void OnMapEnd() override { close(); }

  private:
    struct Open {
        YAML::anchor_t anchor;
        std::uint64_t start;  // values counted before it
    };

    void count(const YAML::Mark& m, std::uint64_t n) {
        total_ += n;
        if (total_ > limits_.max_values) {
            r_.fail(m, "the file expands to more than " + std::to_string(limits_.max_values) +
                           " values here (YAML aliases that repeat aliases?); a scenario "
                           "is far smaller");
        }
    }
    void leaf(const YAML::Mark& m, YAML::anchor_t a) {
        count(m, 1);
        if (a) sizes_[a] = 1;
    }
    void open(const YAML::Mark& m, YAML::anchor_t a) {
        if (open_.size() >= limits_.max_depth) {
            r_.fail(m, "lists and mappings nest more than " + std::to_string(limits_.max_depth) +
                           " deep here; a scenario is far flatter");
        }
        count(m, 1);
        open_.push_back({a, total_ - 1});
    }
    void close() {
        const Open o = open_.back();
        open_.pop_back();
        if (o.anchor) sizes_[o.anchor] = total_ - o.start;
    }

    const ConfigReader& r_;
    const YamlLimits& limits_;
    std::vector<Open> open_;
    std::unordered_map<YAML::anchor_t, std::uint64_t> sizes_;
    std::uint64_t total_ = 0;
};

const char* file_kind(std::filesystem::file_type t) {
    switch (t) {
        case std::filesystem::file_type::directory:
            return "a folder";
        case std::filesystem::file_type::fifo:
            return "a FIFO (named pipe)";
        case std::filesystem::file_type::character:
        case std::filesystem::file_type::block:
            return "a device";
        case std::filesystem::file_type::socket:
            return "a socket";
        default:
            return "not a regular file";
    }
}

std::string size_text(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string read_config_file(const std::string& path, const std::string& what,
                             std::size_t max_bytes) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);  // follows symlinks
    if (ec || !fs::exists(st))
        throw ScenarioError(path + ": cannot open " + what + ": no such file");
    if (!fs::is_regular_file(st)) {
        throw ScenarioError(path + ": " + what + " must be a regular file; this is " +
                            file_kind(st.type()));
    }
    const auto size = fs::file_size(path, ec);
    if (!ec && size > max_bytes) {
        throw ScenarioError(path + ": " + what + " is " + std::to_string(size) +
                            " bytes; the limit is " + size_text(max_bytes));
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ScenarioError(path + ": cannot open " + what);
    // Read no more than the limit even if the file grows while we read.
    std::string text(max_bytes + 1, '\0');
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(f.gcount()));
    if (text.size() > max_bytes) {
        throw ScenarioError(path + ": " + what + " is larger than the limit of " +
                            size_text(max_bytes));
    }
    return text;
}

YAML::Node ConfigReader::load(const std::string& text, const YamlLimits& limits) const {
    if (text.size() > limits.max_bytes) {
        fail(YAML::Mark::null_mark(), "the text is " + std::to_string(text.size()) +
                                          " bytes; the limit is " + size_text(limits.max_bytes));
    }
    if (const auto bad = first_bad_utf8(text)) {
        YAML::Mark m;
        m.pos = static_cast<int>(*bad);
        const std::size_t nl = *bad == 0 ? std::string::npos : text.rfind('\n', *bad - 1);
        const std::size_t line_start = nl == std::string::npos ? 0 : nl + 1;
        m.line = static_cast<int>(
            std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n'));
        m.column = static_cast<int>(*bad - line_start);
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[*bad]));
        fail(m, std::string("not UTF-8 (byte ") + byte + "); save the file as UTF-8");
    }
    try {
        std::istringstream in(text);
        YAML::Parser parser(in);
        ShapeGuard guard(*this, limits);
        parser.HandleNextDocument(guard);
        return YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        fail(e.mark, "not valid YAML: " + e.msg);
    }
}

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
    const auto d = parse_number(v);
    if (!d || !(*d >= lo && *d <= hi)) {
        std::ostringstream o;
        o << what << " must be a number from " << lo << " to " << hi << ", got '" << v << "'";
        fail(n.Mark(), o.str());
    }
    return *d;
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
    try {
        // Bodies and certificates: larger than a scenario, still bounded.
        return read_config_file(path.string(), "this file", std::size_t{64} << 20);
    } catch (const ScenarioError& e) {
        // "PATH: cannot open this file: no such file" -> "cannot read 'PATH': no such file"
        std::string why = e.what();
        why.erase(0, path.string().size() + 2);
        if (why.rfind("cannot open this file", 0) == 0) why.erase(0, 21);
        fail(n.Mark(), what + ": cannot read '" + path.string() + "'" +
                           (why.empty() || why[0] == ':' ? why : ": " + why));
    }
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

ScriptStep parse_script_step(const ConfigReader& r, const YAML::Node& n, bool words) {
    ScriptStep step;
    const std::string one_of = words ? "close, reset, or one of expect/send/delay: TEXT"
                                     : "one of expect/send/delay: TEXT";
    if (n.IsScalar()) {
        const std::string word = n.Scalar();
        if (words && word == "close") {
            step.kind = ScriptStep::Kind::close;
        } else if (words && word == "reset") {
            step.kind = ScriptStep::Kind::reset;
        } else {
            r.fail(n.Mark(), "a script step is " + one_of + "; got '" + word + "'");
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
        step.delay = r.duration(n["delay"], "delay");
    }
    return step;
}

}  // namespace qpysim
