// libFuzzer target: the scenario parser. Any text must either parse (and then
// apply to a modem configuration and describe itself) or raise UsageError with
// a message; anything else (another exception, a crash, a sanitizer report,
// an empty message) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "qpysim/modem.hpp"
#include "qpysim/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const qpysim::Scenario s = qpysim::parse_scenario(text, "fuzz.yaml");
        qpysim::ModemConfig config;
        qpysim::apply_scenario(s, config);
        if (qpysim::describe(s).empty()) std::abort();
    } catch (const qpysim::UsageError& e) {
        if (std::string(e.what()).empty()) std::abort();  // every error names what was wrong
    }
    return 0;
}
