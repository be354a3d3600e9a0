// Shipped files by name: `--scenario flaky-cell`, and `qpysim examples DIR`.
#include <algorithm>
#include <filesystem>
#include <vector>

#include "cli.hpp"

namespace qpysim::cli {

namespace fs = std::filesystem;

std::string find_scenario(const std::string& name, const Hooks& hooks) {
    std::error_code ec;
    if (fs::is_regular_file(name, ec) || fs::exists(name, ec)) return name;  // the core says more
    std::string stem = name;
    if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".yaml") == 0)
        stem.resize(stem.size() - 5);
    if (stem.empty() || hooks.scenario_dir.empty() ||
        stem.find_first_of("/\\") != std::string::npos) {
        return {};
    }
    const fs::path shipped = fs::path(hooks.scenario_dir) / (stem + ".yaml");
    return fs::is_regular_file(shipped, ec) ? shipped.string() : std::string();
}

namespace {

bool skipped(const fs::path& p) {
    const std::string name = p.filename().string();
    return name == "__pycache__" || name == ".pytest_cache" || p.extension() == ".pyc";
}

}  // namespace

int run_examples(const std::string& dir, const Hooks& hooks, std::ostream& out, std::ostream& err) {
    std::error_code ec;
    const fs::path from = hooks.examples_dir;
    if (from.empty() || !fs::is_directory(from, ec)) {
        err << "qpysim: no shipped examples found (looked in '" << hooks.examples_dir << "')\n";
        return exit_usage;
    }
    const fs::path to = dir;
    if (fs::exists(to, ec) && !fs::is_directory(to, ec)) {
        err << "qpysim: examples: '" << dir << "' is not a folder\n";
        return exit_usage;
    }
    // Every file first: nothing is overwritten, and nothing is copied unless all can be.
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != end(it);
         it.increment(ec)) {
        if (skipped(it->path())) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), from, ec));
    }
    if (ec) {
        err << "qpysim: examples: cannot read '" << from.string() << "': " << ec.message() << "\n";
        return exit_usage;
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> clash;
    for (const auto& f : files) {
        if (fs::exists(to / f, ec)) clash.push_back((to / f).string());
    }
    if (!clash.empty()) {
        err << "qpysim: examples: " << clash.size()
            << " file(s) already there, nothing copied (choose an empty folder):\n";
        for (const auto& c : clash)
            err << "  " << c << "\n";
        return exit_usage;
    }
    for (const auto& f : files) {
        fs::create_directories((to / f).parent_path(), ec);
        if (!ec) fs::copy_file(from / f, to / f, ec);
        if (ec) {
            err << "qpysim: examples: cannot write '" << (to / f).string() << "': " << ec.message()
                << "\n";
            return exit_usage;
        }
        out << (to / f).string() << "\n";
    }
    return exit_ok;
}

}  // namespace qpysim::cli
