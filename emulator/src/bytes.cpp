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
