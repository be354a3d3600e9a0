// A FIFO of bytes: append at the back, consume from the front, no per-byte
// allocation. Used for socket send and receive buffers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace qpysim {

class ByteQueue {
  public:
    std::size_t size() const noexcept { return buf_.size() - head_; }
    bool empty() const noexcept { return size() == 0; }
    std::string_view view() const noexcept { return std::string_view(buf_).substr(head_); }

    void append(std::string_view data) {
        if (head_ > 0 && head_ >= buf_.size() / 2) compact();
        buf_.append(data);
    }

    // Remove and return up to n bytes from the front.
    std::string take(std::size_t n) {
        n = std::min(n, size());
        std::string out = buf_.substr(head_, n);
        drop(n);
        return out;
    }

    // Append up to n bytes from the front to `out` and remove them.
    std::size_t take_into(std::string& out, std::size_t n) {
        n = std::min(n, size());
        out.append(buf_, head_, n);
        drop(n);
        return n;
    }

    void drop(std::size_t n) {
        head_ += std::min(n, size());
        if (head_ == buf_.size()) {
            buf_.clear();
            head_ = 0;
        }
    }

    void clear() noexcept {
        buf_.clear();
        head_ = 0;
    }

    // Offset of the first '\n' from the front, or npos.
    std::size_t find_newline() const noexcept { return view().find('\n'); }

  private:
    void compact() {
        buf_.erase(0, head_);
        head_ = 0;
    }

    std::string buf_;
    std::size_t head_ = 0;
};

}  // namespace qpysim
