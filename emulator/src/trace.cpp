#include "qpysim/trace.hpp"

#include <cstdio>

#include "qpysim/error.hpp"

namespace qpysim {

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

TraceEvent::TraceEvent(DeviceTime t, std::string_view kind) {
    json_ = "{\"t\":";
    json_ += format_time(t);
    json_ += ",\"ev\":";
    append_json_string(json_, kind);
}

void TraceEvent::key(std::string_view k) {
    json_ += ',';
    append_json_string(json_, k);
    json_ += ':';
}

TraceEvent& TraceEvent::str(std::string_view k, std::string_view value) {
    key(k);
    append_json_string(json_, value);
    return *this;
}

TraceEvent& TraceEvent::num(std::string_view k, std::int64_t value) {
    key(k);
    json_ += std::to_string(value);
    return *this;
}

TraceEvent& TraceEvent::boolean(std::string_view k, bool value) {
    key(k);
    json_ += value ? "true" : "false";
    return *this;
}

std::string TraceEvent::finish() && {
    json_ += '}';
    return std::move(json_);
}

void Trace::open(const std::string& path, bool append) {
    auto f = std::make_unique<std::ofstream>(
        path, std::ios::out | (append ? std::ios::app : std::ios::trunc));
    if (!*f) throw UsageError("cannot write trace file '" + path + "'");
    file_ = std::move(f);
}

void Trace::emit(TraceEvent ev) {
    if (!enabled()) return;
    std::string line = std::move(ev).finish();
    if (file_) *file_ << line << '\n';
    if (listener_) listener_(line);
    if (keep_) lines_.push_back(std::move(line));
}

void Trace::flush() {
    if (file_) file_->flush();
}

}  // namespace qpysim
