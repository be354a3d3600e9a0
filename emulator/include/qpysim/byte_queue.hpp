// A FIFO of bytes kept as the chunks it arrived in: appending a segment and
// taking it back out whole are moves, not copies. Used for socket buffers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <string_view>

#include "qpysim/bytes.hpp"

namespace qpysim {

class ByteQueue {
  public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    void append(Bytes&& chunk) {
        if (chunk.empty()) return;
        size_ += chunk.size();
        // Small writes are merged so many tiny sends do not become many chunks.
        if (!chunks_.empty() && chunk.size() < kMerge && chunks_.back().size() < kMerge) {
            Bytes& back = chunks_.back();
            Bytes merged = Bytes::uninitialized(back.size() + chunk.size());
            std::memcpy(merged.data(), back.data(), back.size());
            std::memcpy(merged.data() + back.size(), chunk.data(), chunk.size());
            back = std::move(merged);
            return;
        }
        chunks_.push_back(std::move(chunk));
    }
    void append(std::string_view data) { append(Bytes(data)); }

    // The first contiguous run of bytes (for a write syscall).
    std::string_view front() const noexcept {
        if (chunks_.empty()) return {};
        return chunks_.front().view().substr(head_);
    }
    std::size_t chunk_count() const noexcept { return chunks_.size(); }
    // Chunk i (0 = front, with its consumed part cut off).
    std::string_view chunk(std::size_t i) const noexcept {
        return i == 0 ? front() : chunks_[i].view();
    }

    // Remove and return up to n bytes; a whole chunk is moved, not copied.
    Bytes take(std::size_t n) {
        n = std::min(n, size_);
        if (n == 0) return {};
        if (head_ == 0 && chunks_.front().size() == n) {
            Bytes out = std::move(chunks_.front());
            chunks_.pop_front();
            size_ -= n;
            return out;
        }
        Bytes out = peek(n);
        drop(n);
        return out;
    }

    // A copy of up to n bytes from the front, left in place (MSG_PEEK).
    Bytes peek(std::size_t n) const {
        n = std::min(n, size_);
        Bytes out = Bytes::uninitialized(n);
        std::size_t filled = 0;
        for (std::size_t i = 0; filled < n; ++i) {
            const std::string_view c = chunk(i);
            const std::size_t k = std::min(n - filled, c.size());
            std::memcpy(out.data() + filled, c.data(), k);
            filled += k;
        }
        return out;
    }

    void drop(std::size_t n) {
        n = std::min(n, size_);
        size_ -= n;
        while (n > 0) {
            const std::size_t left = chunks_.front().size() - head_;
            if (n < left) {
                head_ += n;
                return;
            }
            n -= left;
            chunks_.pop_front();
            head_ = 0;
        }
    }

    void clear() noexcept {
        chunks_.clear();
        head_ = 0;
        size_ = 0;
    }

    // Offset of the first '\n' from the front, or npos.
    std::size_t find_newline() const noexcept {
        std::size_t offset = 0;
        for (std::size_t i = 0; i < chunks_.size(); ++i) {
            const std::string_view c = chunk(i);
            const std::size_t at = c.find('\n');
            if (at != std::string_view::npos) return offset + at;
            offset += c.size();
        }
        return std::string_view::npos;
    }

  private:
    static constexpr std::size_t kMerge = 4096;
    std::deque<Bytes> chunks_;
    std::size_t head_ = 0;  // consumed bytes of the front chunk
    std::size_t size_ = 0;
};

}  // namespace qpysim
