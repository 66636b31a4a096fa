#include "reference/thread_pool.hpp"

#include <algorithm>

namespace moefit::reference {
namespace {

constexpr int kSpins = 20000;  // ~tens of microseconds before sleeping

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_share(std::size_t index) {
    // Chunks are handed out on demand rather than one fixed share per thread: on a shared machine
    // a thread that loses its core for a while would otherwise hold up the whole section.
    for (;;) {
        const std::size_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
        if (begin >= n_) return;
        (*job_)(begin, std::min(n_, begin + chunk_), index);
    }
}

void ThreadPool::worker(std::size_t index) {
    std::uint64_t seen = 0;
    for (;;) {
        std::uint64_t g = generation_.load(std::memory_order_acquire);
        for (int spin = 0; g == seen && spin < kSpins; ++spin) {
            cpu_relax();
            g = generation_.load(std::memory_order_acquire);
        }
        while (g == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            g = generation_.load(std::memory_order_acquire);
        }
        seen = g;
        if (stop_.load()) return;
        run_share(index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

void ThreadPool::parallel_for(std::size_t n, std::size_t grain,
                              const std::function<void(std::size_t, std::size_t, std::size_t)>& fn) {
    if (n == 0) return;
    grain = std::max<std::size_t>(1, grain);
    if (workers_.empty() || n <= grain) {
        fn(0, n, 0);
        return;
    }
    job_ = &fn;
    n_ = n;
    // About 32 chunks per thread, each a multiple of the grain: taking one (an atomic add) costs
    // nothing next to the work, and the threads finish within a small chunk of each other.
    const std::size_t grains = (n + grain - 1) / grain;
    chunk_ = std::max<std::size_t>(1, grains / (32 * size())) * grain;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(workers_.size(), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    run_share(0);
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
        if (spin < kSpins)
            cpu_relax();
        else
            std::this_thread::yield();
    }
}

}  // namespace moefit::reference
