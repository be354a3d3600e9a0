// The qpysim command line. CLI11 parses it in C++; the parts that run Python
// (the device script) are hooks the extension module provides, so the wheel
// needs no executable linked to libpython.
//
// Exit status, for every subcommand:
//   0  success: the script ended (or printed --expect text), the check passed
//   1  the script raised, or printed --fail-text text
//   2  bad usage: unknown option, missing script, malformed scenario
//   3  the device-time limit (--timeout) passed, or the script can never wake
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace qpysim::cli {

enum ExitCode : int { exit_ok = 0, exit_script_failed = 1, exit_usage = 2, exit_time_limit = 3 };

struct RunOptions {
    std::string script;
    std::vector<std::string> args;  // sys.argv[1:] for the script
    std::string scenario;
    std::optional<std::uint64_t> seed;
    std::string fs;                 // host folder mapped to /usr
    std::optional<double> timeout;  // device seconds
    std::vector<std::string> expect;
    std::vector<std::string> fail_text;
    std::vector<std::string> stub;  // firmware modules given inert stand-ins
    std::vector<std::string> uart;  // N=SPEC: a UART bridged to the PC
    std::string trace;
    std::string pcap;    // pcapng capture of the device's packets
    std::string tls_ca;  // write the run's CA certificate (PEM) here before the script starts
    std::string clock = "auto";
    std::string module;
    std::string dialect;
    int verbosity = 0;  // -v raises, -q lowers
    int max_restarts = 5;
    bool check_replay = false;  // run twice, compare the traces
    bool progress = false;      // the status line even when stderr is not a terminal
};

struct Hooks {
    std::function<int(const RunOptions&)> run;
    std::string scenario_dir;  // where the shipped scenarios are installed
    std::string stubs_dir;     // where the device modules' .pyi stubs are installed
    std::string examples_dir;  // where the example device apps are installed
    std::string version;
};

// Parse args (args[0] is the program name) and run the subcommand.
int main(const std::vector<std::string>& args, const Hooks& hooks, std::ostream& out,
         std::ostream& err);

// One pair per subcommand (CLI11 "subcommands in files").
void setup_run(CLI::App& app, RunOptions& opts, const Hooks& hooks);
int run_run(const RunOptions& opts, const Hooks& hooks, std::ostream& err);

struct CheckOptions {
    std::vector<std::string> files;
};
void setup_check(CLI::App& app, CheckOptions& opts);
int run_check(const CheckOptions& opts, std::ostream& out, std::ostream& err);

// A scenario file as given, else the shipped scenario of that name
// (`flaky-cell` or `flaky-cell.yaml`), else "" (neither exists).
std::string find_scenario(const std::string& name, const Hooks& hooks);

// `examples DIR`: copy the shipped example apps into DIR (nothing overwritten).
int run_examples(const std::string& dir, const Hooks& hooks, std::ostream& out, std::ostream& err);

// `scenarios`, `dialects`, `modules`: tables, no options.
int run_listing(const std::string& which, const Hooks& hooks, std::ostream& out, std::ostream& err);

}  // namespace qpysim::cli
