#include "kiln/core/threads.hpp"

#include <memory>
#include <mutex>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include "kiln/core/errors.hpp"

namespace kiln {
namespace {

struct ThreadSettings {
    std::mutex mutex;
    int num_threads = tbb::info::default_concurrency();
    std::unique_ptr<tbb::global_control> tbb_limit;
};

ThreadSettings& settings() {
    static ThreadSettings s;
    return s;
}

}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw ValueError(cat("set_num_threads: n must be >= 1, got ", n));
    ThreadSettings& s = settings();
    std::lock_guard lock(s.mutex);
    s.tbb_limit.reset();  // at most one limit alive, else TBB keeps the smallest
    s.tbb_limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                        static_cast<size_t>(n));
    s.num_threads = n;
}

int get_num_threads() {
    ThreadSettings& s = settings();
    std::lock_guard lock(s.mutex);
    return s.num_threads;
}

}  // namespace kiln
