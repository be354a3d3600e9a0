#include <algorithm>
#include <filesystem>

#include "cli.hpp"
#include "qpysim/faults.hpp"
#include "qpysim/profile.hpp"
#include "qpysim/scenario.hpp"
#include "qpysim/services.hpp"

namespace qpysim::cli {

int run_listing(const std::string& which, const Hooks& hooks, std::ostream& out,
                std::ostream& err) {
    if (which == "dialects") {
        for (const auto& d : all_dialects())
            out << d.name << "\t" << d.summary << "\n";
        return exit_ok;
    }
    if (which == "modules") {
        for (const auto& m : all_modules())
            out << m.model << "\t" << m.summary << "\n";
        return exit_ok;
    }
    if (which == "faults") {
        for (const auto& k : builtin_faults().kinds()) {
            out << k.name << "\t(" << to_string(k.scope) << ") " << k.summary << "\n";
            for (const auto& [key, doc] : k.settings)
                out << "    " << key << ": " << doc << "\n";
        }
        return exit_ok;
    }
    if (which == "services") {
        for (const auto& k : builtin_services().kinds()) {
            out << k.name << "\t("
                << (k.tcp && k.udp ? "tcp, udp"
                    : k.tcp        ? "tcp"
                                   : "udp")
                << ") " << k.summary << "\n";
            for (const auto& [key, doc] : k.settings)
                out << "    " << key << ": " << doc << "\n";
        }
        out << "tls\t(on any tcp service) TLS in front: true (a certificate from the run's CA, "
               "Device.tls_ca()) or {cert: FILE, key: FILE}\n";
        return exit_ok;
    }
    // scenarios
    namespace fs = std::filesystem;
    std::error_code ec;
    if (hooks.scenario_dir.empty() || !fs::is_directory(hooks.scenario_dir, ec)) {
        err << "qpysim: no shipped scenarios found (looked in '" << hooks.scenario_dir << "')\n";
        return exit_usage;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(hooks.scenario_dir, ec)) {
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    int status = exit_ok;
    for (const auto& f : files) {
        try {
            const Scenario s = load_scenario(f.string());
            const std::string first = s.description.substr(0, s.description.find('\n'));
            out << f.stem().string() << "\t" << first << "\t" << f.string() << "\n";
        } catch (const ScenarioError& e) {
            err << e.what() << "\n";
            status = exit_usage;
        }
    }
    return status;
}

}  // namespace qpysim::cli
