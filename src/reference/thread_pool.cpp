#include "reference/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace moefit::reference {
namespace {

// How long an idle worker polls before it sleeps. Longer than the serial work between the
// sections of a decode step (tens of microseconds), short enough not to burn a core for long
// once the pass is over. Time-based: the cost of a poll varies between machines.
constexpr auto kSpinTime = std::chrono::microseconds(500);

std::uint32_t generation_of(std::uint64_t ticket) {
    return static_cast<std::uint32_t>(ticket >> 32);
}

std::uint32_t chunk_of(std::uint64_t ticket) {
    return static_cast<std::uint32_t>(ticket);
}

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    ticket_.fetch_add(std::uint64_t{1} << 32);  // a new generation wakes every worker
    ticket_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_chunks(std::uint32_t generation, std::size_t index) {
    std::uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
        if (generation_of(t) != generation) return;
        // Read after the ticket showed `generation`: that generation's extent, or a newer one's
        // (then the section of `generation` is over, and so is this call).
        const std::uint64_t extent = extent_.load(std::memory_order_acquire);
        if (generation_of(extent) != generation || chunk_of(t) >= chunk_of(extent)) return;
        if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire))
            continue;  // t now holds the current ticket
        // The claim succeeded while the section was unfinished, so the caller is still inside
        // parallel_for and its Section stays valid until this chunk is reported done.
        const Section* s = section_.load(std::memory_order_acquire);
        const std::size_t begin = static_cast<std::size_t>(chunk_of(t)) * s->chunk;
        (*s->fn)(begin, std::min(s->n, begin + s->chunk), index);
        done_.fetch_add(1, std::memory_order_acq_rel);
        t = ticket_.load(std::memory_order_acquire);
    }
}

void ThreadPool::worker(std::size_t index) {
    std::uint32_t seen = 0;
    for (;;) {
        std::uint64_t t = ticket_.load(std::memory_order_acquire);
        const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
        for (int polls = 0; generation_of(t) == seen; ++polls) {
            // No pause instruction: in a virtual machine a pause loop can make the hypervisor
            // deschedule the vCPU (pause-loop exiting), which costs milliseconds here.
            if (polls % 256 == 255 && std::chrono::steady_clock::now() > spin_until) break;
            t = ticket_.load(std::memory_order_acquire);
        }
        while (generation_of(t) == seen) {
            sleepers_.fetch_add(1);
            t = ticket_.load();
            if (generation_of(t) == seen) ticket_.wait(t);
            sleepers_.fetch_sub(1);
            t = ticket_.load(std::memory_order_acquire);
        }
        seen = generation_of(t);
        if (stop_.load()) return;
        run_chunks(seen, index);
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
    // About 32 chunks per thread, each a multiple of the grain: taking one costs nothing next to
    // the work, and the threads finish within a small chunk of each other.
    Section s;
    s.fn = &fn;
    s.n = n;
    constexpr std::size_t kMaxChunks = std::numeric_limits<std::uint32_t>::max();
    const std::size_t grains = (n + grain - 1) / grain;
    const std::size_t per_chunk = std::max({std::size_t{1}, grains / (32 * size()), (grains + kMaxChunks - 1) / kMaxChunks});
    s.chunk = per_chunk * grain;
    const auto chunks = static_cast<std::uint32_t>((n + s.chunk - 1) / s.chunk);
    const std::uint32_t generation = generation_of(ticket_.load()) + 1;
    done_.store(0, std::memory_order_relaxed);
    section_.store(&s, std::memory_order_release);
    extent_.store(static_cast<std::uint64_t>(generation) << 32 | chunks, std::memory_order_release);
    ticket_.store(static_cast<std::uint64_t>(generation) << 32);  // seq_cst: ordered before the sleepers_ load
    if (sleepers_.load() != 0) ticket_.notify_all();
    run_chunks(generation, 0);
    // Only chunks claimed by workers can still be running; a worker that has not claimed one
    // will find none left.
    while (done_.load(std::memory_order_acquire) != chunks) {
    }
}

}  // namespace moefit::reference
