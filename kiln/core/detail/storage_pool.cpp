#include "kiln/core/detail/storage_pool.hpp"

#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "kiln/core/errors.hpp"
#include "kiln/core/limits.hpp"

namespace kiln::detail {
namespace {

// Buffers from this size on are pooled; below it malloc's own free lists already reuse memory.
constexpr size_t kPooledFrom = size_t{256} << 10;

// Rounds a pooled request up to one of four sizes per power of two (at most 25% more), so that buffers of
// nearly equal sizes are interchangeable.
size_t size_class(size_t bytes) {
    const int top = std::bit_width(bytes) - 1;
    const size_t quarter = size_t{1} << (top - 2);
    return (bytes + quarter - 1) / quarter * quarter;
}

class Pool {
public:
    void* take(size_t bytes) {
        {
            std::lock_guard lock(mutex_);
            auto found = free_.find(bytes);
            if (found != free_.end() && !found->second.empty()) {
                void* p = found->second.back();
                found->second.pop_back();
                held_ -= bytes;
                return p;
            }
        }
        void* p = std::aligned_alloc(64, bytes);
        if (p == nullptr) {
            release();  // what the pool holds may be enough to satisfy the request
            p = std::aligned_alloc(64, bytes);
        }
        if (p == nullptr) throw MemoryError(cat("tensor storage: cannot allocate ", bytes, " bytes"));
        return p;
    }

    void give_back(void* p, size_t bytes) {
        {
            std::lock_guard lock(mutex_);
            if (held_ + static_cast<int64_t>(bytes) <= kMaxPooledBytes) {
                free_[bytes].push_back(p);
                held_ += bytes;
                return;
            }
        }
        std::free(p);
    }

    void release() {
        std::lock_guard lock(mutex_);
        for (auto& [bytes, list] : free_)
            for (void* p : list) std::free(p);
        free_.clear();
        held_ = 0;
    }

    int64_t held() {
        std::lock_guard lock(mutex_);
        return held_;
    }

private:
    std::mutex mutex_;
    std::unordered_map<size_t, std::vector<void*>> free_;
    int64_t held_ = 0;
};

// Never destroyed: tensors in static storage may die after any other static object.
Pool& pool() {
    static Pool* p = new Pool;
    return *p;
}

}  // namespace

std::shared_ptr<float[]> allocate_floats(int64_t n) {
    LoadingBudget::check(n);
    static const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
    if (n < 0 || static_cast<double>(n) * sizeof(float) > physical)
        throw MemoryError(cat("tensor storage: ", n, " floats (", static_cast<double>(n) * sizeof(float),
                              " bytes) do not fit in this machine's ", physical, " bytes of memory"));
    const size_t bytes = (static_cast<size_t>(n > 1 ? n : 1) * sizeof(float) + 63) / 64 * 64;
    if (bytes < kPooledFrom) {
        auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (p == nullptr) throw MemoryError(cat("tensor storage: cannot allocate ", bytes, " bytes"));
        return std::shared_ptr<float[]>(p, [](float* q) { std::free(q); });
    }
    const size_t rounded = size_class(bytes);
    auto* p = static_cast<float*>(pool().take(rounded));
    return std::shared_ptr<float[]>(p, [rounded](float* q) { pool().give_back(q, rounded); });
}

int64_t pooled_bytes() { return pool().held(); }

void release_pooled_storage() { pool().release(); }

}  // namespace kiln::detail
