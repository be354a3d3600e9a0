// Emulator log lines ("qpysim: ...") on stderr, apart from the script's output.
#pragma once

namespace qpysim {

// -1 quiet (warnings only), 0 normal (info), 1 debug (TCP states), 2+ trace.
void set_log_verbosity(int verbosity);
// Idempotent: make spdlog's default logger the qpysim stderr logger.
void init_logging();

}  // namespace qpysim
