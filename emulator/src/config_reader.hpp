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

class ConfigReader {
  public:
    // `source` names the file in messages; relative paths in the file (body
    // files, certificates) are read from `base_dir`.
    explicit ConfigReader(std::string source, std::string base_dir = ".")
        : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

    const std::string& base_dir() const noexcept { return base_dir_; }

    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& msg) const;

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

}  // namespace qpysim
