// machine_limits: what this machine can do at best on N threads, the reference of bench/compare.py's "vs limit"
// column (docs/performance.md). Prints one JSON line:
//   {"threads":N,"triad_dram_gbs":...,"triad_48mib_gbs":...,"sgemm_gflops":...,"blas_kernel":"..."}
// - triad_dram_gbs: a STREAM-like triad a[i] = b[i] + s*c[i] over float32 arrays of 64 Mi elements (256 MiB each,
//   far beyond the caches), split over N TBB threads in static chunks, best of 10; GB/s counts 12 bytes per
//   element as STREAM does (the write-allocate read of `a` is not counted).
// - triad_48mib_gbs: the same on three 16 MiB arrays (48 MiB in all, cache-resident on large-L3 parts), for
//   reference.
// - sgemm_gflops: OpenBLAS cblas_sgemm 2048^3 row-major on N OpenBLAS threads, best of 5, 2*n^3 FLOPs. It links
//   kiln so that kiln's kernel selection (kiln/core/blas_kernel.hpp) applies: the same kernels as kiln's gemm.
// Usage: machine_limits [--threads N]
#include <cblas.h>
#include <kiln/kiln.hpp>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

double best_seconds(int repetitions, const std::function<void()>& body) {
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r < repetitions; ++r) {
        const auto start = std::chrono::steady_clock::now();
        body();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

// `f(begin, end)` over [0, n) in one static chunk per thread of `arena`.
template <class F>
void for_chunks(tbb::task_arena& arena, size_t n, const F& f) {
    arena.execute([&] {
        tbb::parallel_for(
            tbb::blocked_range<size_t>(0, n), [&](const tbb::blocked_range<size_t>& r) { f(r.begin(), r.end()); },
            tbb::static_partitioner());
    });
}

// Triad GB/s over three arrays of `n` floats (one NUMA node assumed: the main thread's first touch is fine).
double triad_gbs(tbb::task_arena& arena, size_t n, int repetitions) {
    std::vector<float> a(n), b(n), c(n);
    for_chunks(arena, n, [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) b[i] = 1.0f, c[i] = 2.0f, a[i] = 0.0f;
    });
    const float s = 3.0f;
    float* pa = a.data();
    const float* pb = b.data();
    const float* pc = c.data();
    const double seconds = best_seconds(repetitions, [&] {
        for_chunks(arena, n, [&](size_t lo, size_t hi) {
            for (size_t i = lo; i < hi; ++i) pa[i] = pb[i] + s * pc[i];
        });
    });
    if (a[n / 2] != 7.0f) std::fprintf(stderr, "machine_limits: triad gave a wrong value\n");
    return 12.0 * static_cast<double>(n) / seconds / 1e9;
}

double sgemm_gflops(int threads) {
    constexpr int n = 2048;
    openblas_set_num_threads(threads);
    std::vector<float> a(size_t{n} * n, 0.5f), b(size_t{n} * n, 0.25f), c(size_t{n} * n);
    auto gemm = [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                    c.data(), n);
    };
    gemm();  // warm-up: OpenBLAS's buffers and threads
    const double seconds = best_seconds(5, gemm);
    return 2.0 * n * n * n / seconds / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1;
    if (argc == 3 && std::string(argv[1]) == "--threads") {
        threads = std::atoi(argv[2]);
    } else if (argc != 1) {
        std::fprintf(stderr, "usage: machine_limits [--threads N]\n");
        return 2;
    }
    if (threads < 1) {
        std::fprintf(stderr, "machine_limits: --threads must be >= 1\n");
        return 2;
    }
    tbb::task_arena arena(threads);
    const double dram = triad_gbs(arena, size_t{64} << 20, 10);
    const double resident = triad_gbs(arena, size_t{4} << 20, 50);
    const double gflops = sgemm_gflops(threads);
    std::printf("{\"threads\":%d,\"triad_dram_gbs\":%.2f,\"triad_48mib_gbs\":%.2f,\"sgemm_gflops\":%.1f,"
                "\"blas_kernel\":\"%s\"}\n",
                threads, dram, resident, gflops, kiln::blas_kernel_name().c_str());
    return 0;
}
