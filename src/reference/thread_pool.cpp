#include "reference/thread_pool.hpp"

#include <algorithm>
#include <chrono>

namespace moefit::reference {
namespace {

// How long an idle worker polls before it sleeps. Longer than the serial work between the
// sections of a decode step (tens of microseconds), short enough not to burn a core for long
// once the pass is over. Time-based: the cost of a poll varies between machines.
constexpr auto kSpinTime = std::chrono::microseconds(500);

std::uint32_t generation_of(std::uint64_t ticket) {
    return static_cast<std::uint32_t>(ticket >> 32);
}

// Stripe words: 24 bits of generation, 20 of next chunk, 20 of end chunk.
constexpr std::uint64_t kChunkBits = 20, kChunkMask = (std::uint64_t{1} << kChunkBits) - 1;
constexpr std::uint64_t kMaxChunks = kChunkMask;

std::uint64_t stripe_word(std::uint32_t generation, std::uint64_t next, std::uint64_t end) {
    return (static_cast<std::uint64_t>(generation & 0xffffffu) << (2 * kChunkBits)) | next << kChunkBits | end;
}
bool stripe_of(std::uint64_t word, std::uint32_t generation) {
    return (word >> (2 * kChunkBits)) == (generation & 0xffffffu);
}
std::uint64_t next_of(std::uint64_t word) {
    return (word >> kChunkBits) & kChunkMask;
}
std::uint64_t end_of(std::uint64_t word) {
    return word & kChunkMask;
}

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    stripes_ = std::make_unique<Stripe[]>(threads);
    for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    ticket_.fetch_add(std::uint64_t{1} << 32);  // a new generation wakes every worker
    ticket_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_chunks(std::uint32_t generation, std::size_t index) {
    const std::size_t threads = size();
    for (std::size_t k = 0; k < threads; ++k) {
        Stripe& stripe = stripes_[(index + k) % threads];
        const bool own = k == 0;
        std::uint64_t w = stripe.word.load(std::memory_order_acquire);
        for (;;) {
            // Another generation: a newer section has started, so the one of `generation` is over.
            if (!stripe_of(w, generation)) return;
            const std::uint64_t next = next_of(w), end = end_of(w);
            if (next >= end) break;  // empty: on to the next stripe
            const std::uint64_t claimed = own ? next : end - 1;
            const std::uint64_t after =
                own ? stripe_word(generation, next + 1, end) : stripe_word(generation, next, end - 1);
            if (!stripe.word.compare_exchange_weak(w, after, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;  // w now holds the current word
            // The claim succeeded while the section was unfinished, so the caller is still inside
            // parallel_for and its Section stays valid until this chunk is reported done.
            const Section* s = section_.load(std::memory_order_acquire);
            const std::size_t begin = static_cast<std::size_t>(claimed) * s->chunk;
            (*s->fn)(begin, std::min(s->n, begin + s->chunk), index);
            done_.fetch_add(1, std::memory_order_acq_rel);
            w = stripe.word.load(std::memory_order_acquire);
        }
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
    const std::size_t threads = size();
    const std::size_t grains = (n + grain - 1) / grain;
    const std::size_t per_chunk =
        std::max({std::size_t{1}, grains / (32 * threads), (grains + kMaxChunks - 1) / kMaxChunks});
    s.chunk = per_chunk * grain;
    const auto chunks = static_cast<std::uint32_t>((n + s.chunk - 1) / s.chunk);
    const std::uint32_t generation = generation_of(ticket_.load()) + 1;
    done_.store(0, std::memory_order_relaxed);
    section_.store(&s, std::memory_order_release);
    for (std::size_t t = 0; t < threads; ++t)
        stripes_[t].word.store(stripe_word(generation, chunks * t / threads, chunks * (t + 1) / threads),
                               std::memory_order_release);
    ticket_.store(static_cast<std::uint64_t>(generation) << 32);  // seq_cst: ordered before the sleepers_ load
    if (sleepers_.load() != 0) ticket_.notify_all();
    run_chunks(generation, 0);
    // Only chunks claimed by workers can still be running; a worker that has not claimed one
    // will find none left.
    while (done_.load(std::memory_order_acquire) != chunks) {
    }
}

}  // namespace moefit::reference
