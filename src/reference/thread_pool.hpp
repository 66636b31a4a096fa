// A fixed pool of worker threads for the reference pass: parallel_for splits [0, n) into chunks
// that the threads (the caller among them) claim in turn, and returns when every chunk is done.
//
// Built for a shared virtual machine, where a vCPU can be descheduled for milliseconds: the
// caller never waits for a worker that has not claimed a chunk (a late worker finds the section
// finished and goes back to waiting), only for chunks in progress; and it only makes the wake-up
// system call when a worker is asleep. Workers spin for a while before sleeping, so the many short
// sections of a decode step start within a microsecond.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
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
    // `grain` except the last, with thread < size(); a thread may get several ranges, which ones
    // is not fixed (so fn must not depend on it beyond using `thread` for per-thread scratch).
    // Not reentrant, and called from one thread at a time.
    void parallel_for(std::size_t n, std::size_t grain,
                      const std::function<void(std::size_t, std::size_t, std::size_t)>& fn);

private:
    // What one parallel_for hands out; lives on the caller's stack for the call, so it is only
    // read by a thread that holds a claimed chunk of it.
    struct Section {
        const std::function<void(std::size_t, std::size_t, std::size_t)>* fn = nullptr;
        std::size_t n = 0, chunk = 1;
    };

    void worker(std::size_t index);
    // Claims and runs chunks of the section of `generation` until none is left or a newer
    // section has started.
    void run_chunks(std::uint32_t generation, std::size_t index);

    std::vector<std::thread> workers_;
    // (generation << 32) | next chunk: a claim succeeds only while the generation is the one the
    // claimer read the section for, so a late worker can never take a chunk of a newer section.
    std::atomic<std::uint64_t> ticket_{0};
    // (generation << 32) | chunks of the section being handed out. Published before the ticket:
    // a claim needs both to show the same generation, which rules out claiming against the
    // chunk count of a section whose ticket is not out yet.
    std::atomic<std::uint64_t> extent_{0};
    std::atomic<const Section*> section_{nullptr};
    std::atomic<std::uint32_t> done_{0};      // chunks of the current section finished
    std::atomic<std::uint32_t> sleepers_{0};  // workers blocked in ticket_.wait
    std::atomic<bool> stop_{false};
};

}  // namespace moefit::reference
