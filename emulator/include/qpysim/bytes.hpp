// A move-only byte buffer that can be allocated without initialising it, so
// the OS can read straight into the buffer that then travels as a segment and
// sits in a socket's receive queue: on the data path, bytes are copied once in
// user space (into the Python bytes object), as with a native socket.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace qpysim {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 if it is not one. For
// s[i] < 0x80 it is 0 too: callers handle ASCII themselves.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// Reusable blocks of the size the host gateway reads in: freeing and
// re-allocating 64 KiB per segment makes glibc trim and regrow its heap, and
// every regrowth page-faults. Thread-safe; holds at most a few MiB.
namespace block_pool {
inline constexpr std::size_t kBlock = 64 * 1024;
char* acquire();
void release(char* block) noexcept;
}  // namespace block_pool

class Bytes {
  public:
    Bytes() = default;
    explicit Bytes(std::string_view s) : data_(alloc(s.size())), size_(s.size()) {
        if (size_) std::memcpy(data_.get(), s.data(), size_);
    }
    Bytes(Bytes&& o) noexcept : data_(std::move(o.data_)), size_(o.size_) { o.size_ = 0; }
    Bytes& operator=(Bytes&& o) noexcept {
        data_ = std::move(o.data_);
        size_ = o.size_;
        o.size_ = 0;
        return *this;
    }
    ~Bytes() = default;
    Bytes(const Bytes&) = delete;
    Bytes& operator=(const Bytes&) = delete;

    // n bytes of storage with unspecified contents, to be filled by the caller.
    static Bytes uninitialized(std::size_t n) {
        Bytes b;
        b.data_ = alloc(n);
        b.size_ = n;
        return b;
    }

    char* data() noexcept { return data_.get(); }
    const char* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::string_view view() const noexcept { return {data_.get(), size_}; }
    std::string str() const { return std::string(view()); }

    // Keep the first n bytes. A large buffer that ends up mostly empty is
    // copied into a small one, so a short read does not pin a big allocation.
    void shrink(std::size_t n) {
        if (n >= size_) return;
        if (n < size_ / 4) {
            Bytes small(std::string_view(data_.get(), n));
            *this = std::move(small);
        } else {
            size_ = n;
        }
    }

  private:
    struct Free {
        bool pooled = false;
        void operator()(char* p) const noexcept {
            if (pooled) {
                block_pool::release(p);
            } else {
                delete[] p;
            }
        }
    };
    using Ptr = std::unique_ptr<char[], Free>;

    static Ptr alloc(std::size_t n) {
        if (n == 0) return Ptr(nullptr, Free{});
        if (n == block_pool::kBlock) return Ptr(block_pool::acquire(), Free{true});
        return Ptr(new char[n], Free{});  // default-initialised: not zeroed
    }

    Ptr data_{nullptr, Free{}};
    std::size_t size_ = 0;
};

}  // namespace qpysim
