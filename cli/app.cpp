#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "qpysim/error.hpp"

namespace qpysim::cli {

int main(const std::vector<std::string>& args, const Hooks& hooks, std::ostream& out,
         std::ostream& err) {
    CLI::App app{
        "qpysim: run QuecPython device scripts on a PC against an emulated cellular module",
        "qpysim"};
    app.require_subcommand(1);
    app.set_version_flag("--version", hooks.version);
    app.footer(
        "Exit status: 0 success, 1 the script raised or printed --fail-text, 2 bad usage or "
        "scenario, 3 device-time limit, 130 Ctrl-C, 143 SIGTERM.");

    RunOptions run_opts;
    auto* run = app.add_subcommand("run", "Run a device script as the module would.");
    setup_run(*run, run_opts, hooks);

    CheckOptions check_opts;
    auto* check = app.add_subcommand("check", "Validate scenario files and summarise them.");
    setup_check(*check, check_opts);

    auto* scenarios = app.add_subcommand("scenarios", "List the shipped scenarios.");
    auto* dialects = app.add_subcommand("dialects", "List the usocket dialects.");
    auto* modules = app.add_subcommand("modules", "List the module models.");
    auto* faults = app.add_subcommand(
        "faults", "List the fault kinds a scenario or a test can apply, with their settings.");
    auto* services = app.add_subcommand(
        "services",
        "List the virtual service kinds a scenario's hosts can run, with their settings.");
    std::string examples_to;
    auto* examples = app.add_subcommand(
        "examples", "Copy the example device apps (and examples/ci) into a folder.");
    examples->add_option("dir", examples_to, "Folder to copy them into (made if missing)")
        ->required();
    auto* stubs = app.add_subcommand(
        "stubs", "Print the folder of .pyi stubs of the device modules (for an editor's paths).");

    std::vector<const char*> argv;
    argv.reserve(args.size());
    for (const auto& a : args)
        argv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, out, err);
        return code == 0 ? exit_ok : exit_usage;
    }
    try {
        if (run->parsed()) return run_run(run_opts, hooks, err);
        if (check->parsed()) return run_check(check_opts, out, err);
        if (scenarios->parsed()) return run_listing("scenarios", hooks, out, err);
        if (dialects->parsed()) return run_listing("dialects", hooks, out, err);
        if (modules->parsed()) return run_listing("modules", hooks, out, err);
        if (faults->parsed()) return run_listing("faults", hooks, out, err);
        if (services->parsed()) return run_listing("services", hooks, out, err);
        if (examples->parsed()) return run_examples(examples_to, hooks, out, err);
        if (stubs->parsed()) {
            out << hooks.stubs_dir << "\n";
            return exit_ok;
        }
    } catch (const UsageError& e) {
        err << "qpysim: " << e.what() << "\n";
        return exit_usage;
    }
    return exit_usage;
}

}  // namespace qpysim::cli
