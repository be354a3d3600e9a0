// Devices a scenario wires to the module: the steps of a TCP `script:` service
// and of a device on one of the module's UARTs (`uart:`), and the register
// maps of devices on its I2C buses (`i2c:`).
#pragma once

#include <map>
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

// i2c: BUS: {ADDRESS: {registers: {REG: BYTES}}}: a device on I2C bus BUS
// (0-3) at a 7-bit address. Register addresses and contents are raw bytes
// (the scenario writes them in hex); "" is the register a read without a
// register address gets before anything was written.
struct I2cDevice {
    std::map<std::string, std::string> registers;
};

}  // namespace qpysim
