#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "cli.hpp"
#include "qpysim/profile.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim::cli {

namespace {

std::vector<std::string> dialect_names() {
    std::vector<std::string> v;
    for (const auto& d : all_dialects())
        v.push_back(d.name);
    return v;
}

std::vector<std::string> module_names() {
    std::vector<std::string> v;
    for (const auto& m : all_modules())
        v.push_back(m.model);
    return v;
}

// "--seed: must be a whole number from 0 to N, got '-1'" (CLI11 names the
// option) rather than CLI11's silent wrap of -1 and 2**64 to 2**64-1.
CLI::Validator whole_number(std::uint64_t max) {
    return CLI::Validator(
        [max](std::string& v) -> std::string {
            const bool digits =
                !v.empty() && v.size() <= 20 &&
                std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (digits) {
                try {
                    if (std::stoull(v) <= max) return {};
                } catch (const std::exception&) {
                }
            }
            return "must be a whole number from 0 to " + std::to_string(max) + ", got '" + v + "'";
        },
        "0.." + std::to_string(max));
}

// A finite number of seconds above 0 and at most max: nan and inf are refused.
CLI::Validator seconds(double max) {
    return CLI::Validator(
        [max](std::string& v) -> std::string {
            const auto d = parse_number(v);
            if (d && *d > 0 && *d <= max) return {};
            return "must be a number of seconds above 0 and at most " +
                   std::to_string(static_cast<long long>(max)) + ", got '" + v + "'";
        },
        "SECONDS");
}

}  // namespace

void setup_run(CLI::App& app, RunOptions& opts, const Hooks& hooks) {
    app.add_option("script", opts.script, "The device script (main.py)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("args", opts.args, "Arguments for the script (after --)");
    app.add_option("--scenario", opts.scenario,
                   "Scenario file (YAML), or the name of a shipped one (`qpysim scenarios`)")
        ->transform(CLI::Validator(
            [&hooks](std::string& v) -> std::string {
                std::string found = find_scenario(v, hooks);
                if (found.empty())
                    return "no file '" + v +
                           "', and no shipped scenario of that name (`qpysim scenarios` lists "
                           "them)";
                v = std::move(found);
                return {};
            },
            "FILE|NAME"));
    app.add_option("--seed", opts.seed,
                   "Seed for everything random (default: the scenario's, else 1)")
        ->check(whole_number(std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--fs", opts.fs,
                   "Host folder that is the device's /usr (default: the script's folder)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--timeout", opts.timeout,
                   "Stop after this many seconds of device time (exit 3)")
        ->check(seconds(1e9));
    // One value per occurrence, so `--expect ok main.py` leaves main.py alone.
    app.add_option("--expect", opts.expect,
                   "Succeed (exit 0) once the script has printed every --expect TEXT; "
                   "ending or timing out without one is exit 1")
        ->allow_extra_args(false);
    app.add_option("--stub", opts.stub,
                   "Give a firmware module qpysim does not emulate (machine, fota, audio...) an "
                   "inert stand-in: calls return None (repeatable)")
        ->allow_extra_args(false);
    app.add_option("--uart", opts.uart,
                   "Bridge the module's UART N to the PC (real time): N=tcp:PORT (a listener on "
                   "127.0.0.1), N=stdio or N=pty (repeatable)")
        ->allow_extra_args(false);
    app.add_option("--fail-text", opts.fail_text, "Fail (exit 1) as soon as the script prints TEXT")
        ->allow_extra_args(false);
    app.add_option("--trace", opts.trace, "Write emulator events to FILE as JSON Lines");
    app.add_option("--pcap", opts.pcap,
                   "Write the device's packets to FILE (pcapng, for Wireshark), in device time");
    app.add_option("--tls-ca", opts.tls_ca,
                   "Write the run's CA certificate (PEM; it signs the scenario's tls: services) "
                   "to FILE before the script starts, for ussl.wrap_socket(ca=...)");
    app.add_option("--clock", opts.clock,
                   "real, virtual, or auto (virtual when every peer is in-process)")
        ->check(CLI::IsMember({"auto", "real", "virtual"}));
    app.add_option("--module", opts.module, "Module model (see `qpysim modules`)")
        ->check(CLI::IsMember(module_names(), CLI::ignore_case));
    app.add_option("--dialect", opts.dialect, "usocket dialect (see `qpysim dialects`)")
        ->check(CLI::IsMember(dialect_names(), CLI::ignore_case));
    app.add_option("--max-restarts", opts.max_restarts,
                   "How many misc.Power.powerRestart() reboots before giving up")
        ->check(whole_number(1000000));
    app.add_flag("--progress", opts.progress,
                 "Show the status line (device time, wall time, the timeline's next fault) "
                 "even when stderr is not a terminal; on a terminal it shows by itself");
    app.add_flag("--check-replay", opts.check_replay,
                 "Run twice with the same seed and compare the traces: exit 0 if identical, "
                 "else 1 and the first differing line");
    app.add_flag_function(
        "-v,--verbose", [&opts](std::int64_t n) { opts.verbosity += static_cast<int>(n); },
        "More emulator output (repeat for more)");
    app.add_flag_function(
        "-q,--quiet", [&opts](std::int64_t n) { opts.verbosity -= static_cast<int>(n); },
        "Less emulator output");
}

int run_run(const RunOptions& opts, const Hooks& hooks, std::ostream& err) {
    if (!hooks.run) {
        err << "qpysim: this build cannot run scripts (no Python runtime)\n";
        return exit_usage;
    }
    return hooks.run(opts);
}

}  // namespace qpysim::cli
