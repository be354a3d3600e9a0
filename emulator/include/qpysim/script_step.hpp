// Scripted peers: the steps of a TCP `script:` service and of a device wired to
// one of the module's UARTs (a scenario's `uart:`).
#pragma once

#include <string>
#include <vector>

#include "qpysim/time.hpp"

namespace qpysim {

// One step of a scripted peer: a TCP `script:` service, or a device on one of
// the module's UARTs (the scenario's `uart:`).
struct ScriptStep {
    enum class Kind { expect, send, delay, close, reset };
    Kind kind = Kind::send;
    std::string text;  // expect / send
    Duration delay{0};
};

// uart: N: {script: [...]}: what is wired to UART N (0-6).
struct UartPeer {
    std::vector<ScriptStep> steps;
};

}  // namespace qpysim
