// Scenario files: YAML describing the module, its network and (as the schema
// grows) its faults. Every error names file:line:column and what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "qpysim/cellular.hpp"
#include "qpysim/error.hpp"
#include "qpysim/faults.hpp"
#include "qpysim/script_step.hpp"
#include "qpysim/services.hpp"
#include "qpysim/time.hpp"
#include "qpysim/timeline.hpp"

namespace qpysim {

struct ModemConfig;

// A scenario that cannot be used. what() is "file:line:col: message".
class ScenarioError : public UsageError {
  public:
    using UsageError::UsageError;
};

struct Scenario {
    std::string source;  // file path, or a name for text parsed from memory
    int version = 1;
    std::string name;
    std::string description;
    std::optional<std::string> module;
    std::optional<std::string> dialect;
    std::optional<std::string> clock;  // "real" | "virtual"
    std::optional<std::uint64_t> seed;
    // name -> addresses (IPv4 or IPv6 literals)
    std::map<std::string, std::vector<std::string>> dns;
    // "host:port" the device connects to -> "ip:port" on the PC (host gateway)
    std::map<std::string, std::string> forward;
    // Virtual hosts, in declaration order (their addresses are drawn in order).
    std::vector<HostConfig> hosts;
    // The cellular side at power-on.
    std::optional<SimStatus> sim;
    std::optional<RegState> registration;
    std::optional<int> csq;
    std::optional<Operator> network_operator;
    std::vector<PdpSetup> pdp;
    // Module limits and CPU (module: {model, sockets, sndbuf, rcvbuf,
    // call_cost, line_cost}).
    std::optional<int> sockets;
    std::optional<std::size_t> sndbuf;
    std::optional<std::size_t> rcvbuf;
    std::optional<Duration> call_cost;
    std::optional<Duration> line_cost;
    // link:, faults: and timeline:, all as timeline entries (link: and faults:
    // are entries at 0 s), in file order.
    std::vector<TimelineEntry> timeline;
    // uart: the devices wired to the module's UARTs, by UART number.
    std::map<int, UartPeer> uart;
    // i2c: the devices on the module's I2C buses: bus -> 7-bit address -> device.
    std::map<int, std::map<int, I2cDevice>> i2c;
};

// "250ms", "1.5s", "5m", "1h", or a number of seconds. nullopt if malformed.
std::optional<Duration> parse_duration(const std::string& text);
// A finite decimal number that is the whole text ("1.5", "-2", "1e3"); nullopt
// for anything else, nan and inf included.
std::optional<double> parse_number(const std::string& text);
// A whole number >= 0 that is the whole text: decimal digits, or hexadecimal
// after 0x (an I2C address: 0x44), of at most `max_digits` digits; nullopt for
// anything else.
std::optional<std::int64_t> parse_whole(const std::string& text, std::size_t max_digits);
// The finite number text begins with (what std::stod reads), and in `used`
// how many characters it took; nullopt when there is none, nan and inf included.
// parse_number, parse_duration and the fault settings' units build on it.
std::optional<double> leading_number(const std::string& text, std::size_t& used);

// Parse scenario text. `source` names it in error messages.
Scenario parse_scenario(const std::string& text, const std::string& source);
// Read and parse a file. A missing or unreadable file is a ScenarioError.
Scenario load_scenario(const std::string& path);

// Fill a ModemConfig from a scenario (fields the scenario does not set keep
// their values).
void apply_scenario(const Scenario& s, ModemConfig& config);

// One screen saying what the scenario does, for `qpysim check`.
std::string describe(const Scenario& s);

// A fault spec from a YAML-ish mapping of text (used by Python: dicts become
// this). Keys: kind, name, match {host, port, socket, proto}, direction,
// probability, for, and the kind's settings. Throws UsageError.
FaultSpec fault_spec_from(const std::map<std::string, std::string>& fields,
                          const std::map<std::string, std::string>& match);

// A one-line description of a fault spec: "loss rate=0.1 (host echo, up) for 30s".
std::string describe(const FaultSpec& f);

}  // namespace qpysim
