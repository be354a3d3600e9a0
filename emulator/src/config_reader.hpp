// Reading YAML configuration (scenarios, and the settings of each virtual
// service) with every problem reported at its file, line and column. Internal
// to the core: scenario.cpp and the service kinds in services/ use it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "qpysim/scenario.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

// Bounds no hand-written configuration meets. A file past them is refused
// before it is built into nodes: a few KB of nested YAML aliases expand to
// billions of values.
struct YamlLimits {
    std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB
    std::uint64_t max_values = 100000;             // after alias expansion
    std::size_t max_depth = 64;                    // nested lists and mappings
};

// The text of a configuration file at `path`, named `what` in messages ("the
// scenario file"): a regular file (not a folder, FIFO or device, which are
// refused without reading) of at most `max_bytes`.
std::string read_config_file(const std::string& path, const std::string& what,
                             std::size_t max_bytes);

class ConfigReader {
  public:
    // `source` names the file in messages; relative paths in the file (body
    // files, certificates) are read from `base_dir`.
    explicit ConfigReader(std::string source, std::string base_dir = ".")
        : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

    const std::string& base_dir() const noexcept { return base_dir_; }

    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& msg) const;

    // The first document of `text` as nodes, once it is known to be UTF-8,
    // valid YAML and within `limits`; every refusal names its position.
    YAML::Node load(const std::string& text, const YamlLimits& limits = {}) const;

    void expect_map(const YAML::Node& n, const std::string& what) const {
        if (!n.IsMap()) fail(n.Mark(), what + " must be a mapping (key: value lines)");
    }
    void expect_list(const YAML::Node& n, const std::string& what) const {
        if (!n.IsSequence()) fail(n.Mark(), what + " must be a list");
    }
    std::string scalar(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar()) fail(n.Mark(), what + " must be a single value, not a " + kind(n));
        return n.Scalar();
    }
    std::string one_of(const YAML::Node& n, const std::string& what,
                       const std::vector<std::string>& allowed) const;
    std::uint64_t unsigned_int(const YAML::Node& n, const std::string& what) const;
    // A number from lo to hi (inclusive).
    double number(const YAML::Node& n, const std::string& what, double lo, double hi) const;
    bool boolean(const YAML::Node& n, const std::string& what) const;
    // "250ms", "1.5s", "5m" or a number of seconds.
    Duration duration(const YAML::Node& n, const std::string& what) const;
    // The bytes of a file named relative to base_dir().
    std::string file(const YAML::Node& n, const std::string& what) const;
    void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                    const std::string& where) const;

    static std::string kind(const YAML::Node& n);
    static std::string join(const std::vector<std::string>& v);

  private:
    std::string source_;
    std::string base_dir_;
};

// A script step: {expect: TEXT}, {send: TEXT} or {delay: D}, and where `words`
// allows them the words close and reset (a TCP dialogue has a connection to end;
// a UART has none).
ScriptStep parse_script_step(const ConfigReader& r, const YAML::Node& n, bool words);

}  // namespace qpysim
