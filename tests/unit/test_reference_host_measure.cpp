#include <doctest/doctest.h>

#include <vector>

#include "reference/host_measure.hpp"
#include "reference/kernels.hpp"

using namespace moefit::reference;

namespace {

// `rows` x `cols` of `kind` with every byte set (values do not matter for timing, only that the
// kernels can read them: 0x11 gives finite fp16 scales and small codes).
std::vector<std::uint8_t> filled(WeightKind kind, std::size_t rows, std::size_t cols) {
    return std::vector<std::uint8_t>(rows * row_bytes(kind, cols), 0x11);
}

}  // namespace

TEST_SUITE("reference::host_measure") {
    TEST_CASE("the median of an odd and an even count, and of nothing") {
        CHECK(median({3, 1, 2}) == 2);
        CHECK(median({4, 1, 3, 2}) == 2.5);
        CHECK(median({}) == 0);
    }

    TEST_CASE("a read probe reports a positive rate for a buffer rounded down to whole grains") {
        ThreadPool pool(2);
        ReadProbe probe(pool, (1u << 20) + 123);
        CHECK(probe.floats() * sizeof(float) == (1u << 20));
        CHECK(probe.read_bytes_per_second() > 0);
        ReadProbe tiny(pool, 1);  // at least one grain
        CHECK(tiny.floats() > 0);
    }

    TEST_CASE("streaming over matrices of several formats gives a rate and a fraction of the read") {
        ThreadPool pool(2);
        ReadProbe probe(pool, 1u << 20);
        const auto q8 = filled(WeightKind::q8_0, 300, 256);
        const auto q4 = filled(WeightKind::q4_0, 64, 512);
        const auto f32 = filled(WeightKind::f32, 17, 96);
        const std::vector<MatrixView> ms = {{WeightKind::q8_0, q8.data(), 256, 300, row_bytes(WeightKind::q8_0, 256)},
                                            {WeightKind::q4_0, q4.data(), 512, 64, row_bytes(WeightKind::q4_0, 512)},
                                            {WeightKind::f32, f32.data(), 96, 17, row_bytes(WeightKind::f32, 96)}};
        for (bool q8_activations : {true, false}) {
            const StreamingMeasure s = measure_kernel_streaming(pool, ms, probe, q8_activations, 3);
            CHECK(s.bytes_per_second > 0);
            CHECK(s.fraction_of_read > 0);
        }
        // Nothing to read, or no sweeps: zeros rather than a division by zero.
        const StreamingMeasure none = measure_kernel_streaming(pool, {}, probe);
        CHECK(none.bytes_per_second == 0);
        CHECK(none.fraction_of_read == 0);
        CHECK(measure_kernel_streaming(pool, ms, probe, true, 0).bytes_per_second == 0);
    }
}
