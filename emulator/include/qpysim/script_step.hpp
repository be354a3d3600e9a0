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

// i2c: BUS: {ADDRESS: {registers: {REG: BYTES}, answers: {CMD: BYTES}}}: a
// device on I2C bus BUS (0-3) at a 7-bit address. `registers` fills its
// register space from each address on (an address is the register bytes read
// as a big-endian number); `answers` are what a read without a register
// address returns after the app wrote the command CMD. All raw bytes, which
// the scenario writes in hex.
struct I2cDevice {
    std::map<std::string, std::string> registers;
    std::map<std::string, std::string> answers;
};

}  // namespace qpysim
