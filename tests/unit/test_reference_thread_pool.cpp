#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "reference/thread_pool.hpp"

using namespace moefit::reference;

namespace {

// Runs one parallel_for and checks its contract: every index covered exactly once, ranges that
// start on a grain boundary and are whole grains except the one that ends at n, thread < size().
void check_cover(ThreadPool& pool, std::size_t n, std::size_t grain) {
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int> bad_ranges{0}, bad_threads{0};
    pool.parallel_for(n, grain, [&](std::size_t b, std::size_t e, std::size_t t) {
        const std::size_t g = grain == 0 ? 1 : grain;
        if (b >= e || e > n || b % g != 0 || (e != n && (e - b) % g != 0)) bad_ranges.fetch_add(1);
        if (t >= pool.size()) bad_threads.fetch_add(1);
        for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    int wrong = 0;
    for (auto& h : hits) wrong += h.load() != 1;
    CHECK_MESSAGE(wrong == 0, "n = " << n << ", grain = " << grain);
    CHECK(bad_ranges.load() == 0);
    CHECK(bad_threads.load() == 0);
}

}  // namespace

TEST_SUITE("reference::thread_pool") {
    TEST_CASE("parallel_for covers every index exactly once in whole grains, for pools of 1 to 4 threads") {
        for (std::size_t threads : {1, 2, 3, 4}) {
            ThreadPool pool(threads);
            CHECK(pool.size() == threads);
            for (std::size_t n : {1, 2, 15, 16, 17, 100, 1000, 4096, 100003})
                for (std::size_t grain : {0, 1, 16, 64}) check_cover(pool, n, grain);
        }
    }

    TEST_CASE("many short sections in a row each finish before the next starts") {
        ThreadPool pool(3);
        std::vector<int> data(257, 0);
        for (int round = 1; round <= 2000; ++round) {
            // Each section reads what the previous one wrote: a chunk of an old section running
            // late, or a section returning before all its chunks are done, would break the count.
            pool.parallel_for(data.size(), 1, [&](std::size_t b, std::size_t e, std::size_t) {
                for (std::size_t i = b; i < e; ++i) data[i] += 1;
            });
            if (data[0] != round || data[256] != round) {
                FAIL("round " << round << ": " << data[0] << ", " << data[256]);
                break;
            }
        }
        for (int v : data) CHECK(v == 2000);
    }

    TEST_CASE("sections complete, every index once, when one thread is slow in every chunk it takes") {
        ThreadPool pool(2);
        std::vector<std::atomic<int>> hits(64);
        for (int round = 0; round < 20; ++round) {
            pool.parallel_for(hits.size(), 1, [&](std::size_t b, std::size_t e, std::size_t t) {
                if (t == 1) std::this_thread::sleep_for(std::chrono::microseconds(200));
                for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
            });
        }
        for (auto& h : hits) CHECK(h.load() == 20);
    }

    TEST_CASE("a section after the workers have gone to sleep still covers every index") {
        ThreadPool pool(2);
        check_cover(pool, 1000, 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the workers' spin time
        check_cover(pool, 1000, 1);
        check_cover(pool, 5, 16);  // n <= grain runs on the caller
    }
}
