// A fixed pool of worker threads for the reference pass: parallel_for splits [0, n) into chunks,
// hands each thread a stripe of consecutive chunks that it runs front to back, and lets a thread
// whose stripe is done take chunks from the back of the others; it returns when every chunk is done.
//
// Stripes because the pass's sections stream weights: a thread that reads consecutive chunks
// keeps one sequential stream, and its prefetches at the end of one chunk land in the next one it
// reads (measured on a 2-core Xeon VM, 8 expert down projections of 1056 x 384 Q8_0 per section:
// 0.65 of the STREAM read with chunks taken in turn from one counter, 0.85-0.90 with each thread
// on one contiguous half). Stealing from the back leaves the owner's front contiguous.
//
// Built for a shared virtual machine, where a vCPU can be descheduled for milliseconds: the
// caller never waits for a worker that has not claimed a chunk (a late worker's stripe is taken by
// the others, and a worker that comes late finds the section finished and goes back to waiting),
// only for chunks in progress; and it only makes the wake-up system call when a worker is asleep.
// Workers spin for a while before sleeping, so the many short sections of a decode step start
// within a microsecond.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
    // One thread's stripe: (generation << 40) | (next chunk << 20) | end chunk, claimed at the
    // front by its owner and at the back by the others, each with a compare-and-swap of the whole
    // word, so a claim succeeds only while the stripe is the live section's and not empty.
    struct alignas(64) Stripe {
        std::atomic<std::uint64_t> word{0};
    };

    void worker(std::size_t index);
    // Claims and runs chunks of the section of `generation`, its own stripe first, until none is
    // left or a newer section has started.
    void run_chunks(std::uint32_t generation, std::size_t index);

    std::vector<std::thread> workers_;
    std::unique_ptr<Stripe[]> stripes_;  // one per thread; published before the ticket
    // generation << 32: a new value starts a section (workers wait on it).
    std::atomic<std::uint64_t> ticket_{0};
    std::atomic<const Section*> section_{nullptr};
    std::atomic<std::uint32_t> done_{0};      // chunks of the current section finished
    std::atomic<std::uint32_t> sleepers_{0};  // workers blocked in ticket_.wait
    std::atomic<bool> stop_{false};
};

}  // namespace moefit::reference
