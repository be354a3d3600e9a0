// The emulator's event trace: one JSON object per line, timestamped in device
// time, with keys in a fixed order so that the same run gives the same bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qpysim/time.hpp"

namespace qpysim {

// Builds one trace line. Keys are written in the order they are added.
class TraceEvent {
  public:
    TraceEvent(DeviceTime t, std::string_view kind);
    TraceEvent& str(std::string_view key, std::string_view value);
    TraceEvent& num(std::string_view key, std::int64_t value);
    TraceEvent& boolean(std::string_view key, bool value);
    std::string finish() &&;

  private:
    void key(std::string_view k);
    std::string json_;
};

// JSON string escaping (RFC 8259), shared with anything else that writes JSON.
// Bytes that are not UTF-8 are written as \udc80..\udcff (Python's
// surrogateescape), so the output is always one valid JSON string.
void append_json_string(std::string& out, std::string_view s);

class Trace {
  public:
    Trace() = default;
    Trace(const Trace&) = delete;
    Trace& operator=(const Trace&) = delete;
    ~Trace();
    // Open FILE for writing (truncated, or appended to). Throws UsageError
    // naming the file.
    void open(const std::string& path, bool append = false);
    // Keep lines in memory too (tests read them back).
    void keep_in_memory(bool keep) { keep_ = keep; }
    // Called with each line (the CLI's -v echo uses it).
    void set_listener(std::function<void(const std::string&)> fn) { listener_ = std::move(fn); }
    bool enabled() const noexcept { return file_ != nullptr || keep_ || listener_; }

    // Lines reach the file whole, in batches: at least every kFlushEvery of
    // wall time while events come, and at flush() (the modem flushes at its
    // halt), so a run stopped by a signal leaves valid JSON Lines.
    void emit(TraceEvent ev);
    const std::vector<std::string>& lines() const noexcept { return lines_; }
    void flush();
    static constexpr std::size_t kBatchBytes = 64 * 1024;
    static constexpr std::chrono::milliseconds kFlushEvery{200};

  private:
    std::unique_ptr<std::ofstream> file_;
    std::string pending_;  // whole lines not yet written
    std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
    bool keep_ = false;
    std::vector<std::string> lines_;
    std::function<void(const std::string&)> listener_;
};

}  // namespace qpysim
