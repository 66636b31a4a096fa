// A fixed pool of worker threads for the reference pass: parallel_for splits [0, n) into chunks
// that the threads (the caller among them) take in turn, and returns when all are done. Workers
// spin briefly on a generation counter before sleeping on it (std::atomic wait), so the many
// short parallel sections of a decode step cost about a microsecond each.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace moefit::reference {

class ThreadPool {
public:
    // threads = 0 means std::thread::hardware_concurrency(); 1 runs everything on the caller.
    explicit ThreadPool(std::size_t threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    std::size_t size() const { return workers_.size() + 1; }

    // Calls fn(begin, end, thread) for disjoint ranges covering [0, n), each a multiple of
    // `grain` except the last; a thread may get several ranges, which ones is not fixed (so fn
    // must not depend on it beyond using `thread` for per-thread scratch); not reentrant.
    void parallel_for(std::size_t n, std::size_t grain,
                      const std::function<void(std::size_t, std::size_t, std::size_t)>& fn);

private:
    void worker(std::size_t index);
    void run_share(std::size_t index);

    std::vector<std::thread> workers_;
    const std::function<void(std::size_t, std::size_t, std::size_t)>* job_ = nullptr;
    std::size_t n_ = 0, chunk_ = 1;
    std::atomic<std::size_t> next_{0};
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<bool> stop_{false};
};

}  // namespace moefit::reference
