#include <sstream>

#include "cli.hpp"
#include "common.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/scenario.hpp"

namespace qpysim::py_bindings {

namespace {

// `--clock auto` made definite: the clock a module built from these options
// runs on. A scenario that does not load stays "auto"; building the module
// reports why.
std::string resolved_clock(const cli::RunOptions& o) {
    if (o.clock != "auto") return o.clock;
    ModemConfig c;
    if (!o.scenario.empty()) {
        try {
            apply_scenario(load_scenario(o.scenario), c);
        } catch (const std::exception&) {
            return o.clock;
        }
    }
    return std::string(to_string(c.clock));
}

py::dict to_dict(const cli::RunOptions& o) {
    py::dict d;
    d["script"] = o.script;
    d["args"] = o.args;
    d["scenario"] = o.scenario.empty() ? py::object(py::none()) : py::str(o.scenario);
    d["seed"] = o.seed ? py::object(py::int_(*o.seed)) : py::object(py::none());
    d["fs"] = o.fs.empty() ? py::object(py::none()) : py::str(o.fs);
    d["timeout"] = o.timeout ? py::object(py::float_(*o.timeout)) : py::object(py::none());
    d["expect"] = o.expect;
    d["fail_text"] = o.fail_text;
    d["stub"] = o.stub;
    d["uart"] = o.uart;
    d["trace"] = o.trace.empty() ? py::object(py::none()) : py::str(o.trace);
    d["pcap"] = o.pcap.empty() ? py::object(py::none()) : py::str(o.pcap);
    d["tls_ca"] = o.tls_ca.empty() ? py::object(py::none()) : py::str(o.tls_ca);
    d["clock"] = resolved_clock(o);
    d["module"] = o.module.empty() ? py::object(py::none()) : py::str(o.module);
    d["dialect"] = o.dialect.empty() ? py::object(py::none()) : py::str(o.dialect);
    d["verbosity"] = o.verbosity;
    d["max_restarts"] = o.max_restarts;
    d["check_replay"] = o.check_replay;
    d["progress"] = o.progress;
    return d;
}

void write(const char* stream, const std::string& text) {
    if (text.empty()) return;
    auto f = py::module_::import("sys").attr(stream);
    f.attr("write")(text);
    f.attr("flush")();
}

}  // namespace

void bind_cli(py::module_& m) {
    m.def(
        "cli_main",
        [](const std::vector<std::string>& argv, const py::function& run,
           const std::string& scenario_dir, const std::string& version,
           const std::string& stubs_dir, const std::string& examples_dir) {
            cli::Hooks hooks;
            hooks.examples_dir = examples_dir;
            hooks.scenario_dir = scenario_dir;
            hooks.stubs_dir = stubs_dir;
            hooks.version = version;
            hooks.run = [&run](const cli::RunOptions& o) { return run(to_dict(o)).cast<int>(); };
            std::ostringstream out;
            std::ostringstream err;
            int status = cli::exit_usage;
            try {
                status = cli::main(argv, hooks, out, err);
            } catch (...) {
                write("stdout", out.str());
                write("stderr", err.str());
                throw;
            }
            write("stdout", out.str());
            write("stderr", err.str());
            return status;
        },
        py::arg("argv"), py::arg("run"), py::arg("scenario_dir"), py::arg("version"),
        py::arg("stubs_dir"), py::arg("examples_dir") = std::string(),
        "Run the qpysim command line; returns the exit status.");

    m.def(
        "find_scenario",
        [](const std::string& name, const std::string& scenario_dir) {
            cli::Hooks hooks;
            hooks.scenario_dir = scenario_dir;
            return cli::find_scenario(name, hooks);
        },
        py::arg("name"), py::arg("scenario_dir"),
        "The file `--scenario NAME` names: NAME if it exists, else the shipped scenario "
        "NAME(.yaml) in scenario_dir, else ''.");

    m.def(
        "check_scenario", [](const std::string& path) { return describe(load_scenario(path)); },
        py::arg("path"),
        "Validate a scenario file; returns its summary or raises ValueError (file:line:col).");
}

}  // namespace qpysim::py_bindings
