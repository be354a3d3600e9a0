#include "qpysim/bytes.hpp"

#include <mutex>
#include <vector>

namespace qpysim::block_pool {

namespace {

constexpr std::size_t kMaxPooled = 64;  // 4 MiB

struct Pool {
    std::mutex mu;
    std::vector<char*> free;
    ~Pool() {
        for (char* p : free)
            delete[] p;
    }
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

char* acquire() {
    Pool& p = pool();
    {
        std::lock_guard lk(p.mu);
        if (!p.free.empty()) {
            char* b = p.free.back();
            p.free.pop_back();
            return b;
        }
    }
    return new char[kBlock];
}

void release(char* block) noexcept {
    Pool& p = pool();
    {
        std::lock_guard lk(p.mu);
        if (p.free.size() < kMaxPooled) {
            p.free.push_back(block);
            return;
        }
    }
    delete[] block;
}

}  // namespace qpysim::block_pool

namespace qpysim {

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    }
    return n;
}

}  // namespace qpysim
