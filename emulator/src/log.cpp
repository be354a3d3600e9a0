#include "qpysim/log.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace qpysim {

void init_logging() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto logger = spdlog::stderr_logger_mt("qpysim");
        logger->set_pattern("qpysim: %v");
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
    });
}

void set_log_verbosity(int verbosity) {
    init_logging();
    spdlog::level::level_enum level = spdlog::level::info;
    if (verbosity < 0) level = spdlog::level::warn;
    if (verbosity == 1) level = spdlog::level::debug;
    if (verbosity >= 2) level = spdlog::level::trace;
    spdlog::set_level(level);
}

}  // namespace qpysim
