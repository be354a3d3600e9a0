#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim::cli {

void setup_check(CLI::App& app, CheckOptions& opts) {
    app.add_option("files", opts.files, "Scenario files")->required();
}

int run_check(const CheckOptions& opts, std::ostream& out, std::ostream& err) {
    int status = exit_ok;
    for (const auto& f : opts.files) {
        try {
            const Scenario s = load_scenario(f);
            out << f << ": ok\n" << describe(s);
        } catch (const ScenarioError& e) {
            err << e.what() << "\n";
            status = exit_usage;
        }
    }
    return status;
}

}  // namespace qpysim::cli
