#include "qpysim/trace.hpp"

#include <cstdio>

#include "qpysim/bytes.hpp"
#include "qpysim/error.hpp"

namespace qpysim {

namespace {

void append_escape(std::string& out, unsigned code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", code);
    out += buf;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const auto u = static_cast<unsigned char>(c);
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20) {
            append_escape(out, u);
        } else if (u < 0x80) {
            out += c;
        } else if (const std::size_t n = utf8_sequence(s, i)) {
            out.append(s, i, n);
            i += n - 1;
        } else {
            // Not UTF-8 (binary data, a character cut in two): the byte as
            // Python's surrogateescape has it, so the line stays valid JSON
            // and json.loads(...).encode("utf-8", "surrogateescape") gives
            // the bytes back.
            append_escape(out, 0xDC00 + u);
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
    auto f = std::make_unique<std::ofstream>();
    f->rdbuf()->pubsetbuf(nullptr, 0);  // batches of whole lines go out in one write
    f->open(path, std::ios::out | (append ? std::ios::app : std::ios::trunc));
    if (!*f) throw UsageError("cannot write trace file '" + path + "'");
    file_ = std::move(f);
}

Trace::~Trace() {
    flush();
}

void Trace::emit(TraceEvent ev) {
    if (!enabled()) return;
    std::string line = std::move(ev).finish();
    if (file_) {
        pending_ += line;
        pending_ += '\n';
        if (pending_.size() >= kBatchBytes ||
            std::chrono::steady_clock::now() - last_flush_ >= kFlushEvery) {
            flush();
        }
    }
    if (listener_) listener_(line);
    if (keep_) lines_.push_back(std::move(line));
}

void Trace::flush() {
    if (!file_) return;
    if (!pending_.empty()) {
        file_->write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
        pending_.clear();
    }
    file_->flush();
    last_flush_ = std::chrono::steady_clock::now();
}

}  // namespace qpysim
