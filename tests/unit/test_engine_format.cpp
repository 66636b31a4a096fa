#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/format.hpp"
#include "util/checked.hpp"

using moefit::engine::all_formats;
using moefit::engine::bits_per_weight;
using moefit::engine::find_format;
using moefit::engine::find_format_by_ggml_type;
using moefit::engine::Format;
using moefit::engine::tensor_bytes;

namespace {

const Format& fmt_named(std::string_view name) {
    const Format* f = find_format(name);
    REQUIRE_MESSAGE(f != nullptr, "no format named " << name);
    return *f;
}

// Bytes of `shape` in the format called `name`; the shape must be valid for it.
std::uint64_t bytes(std::string_view name, std::vector<std::uint64_t> shape) {
    auto r = tensor_bytes(fmt_named(name), shape);
    REQUIRE_MESSAGE(r.ok(), r.error().to_string());
    return r.value();
}

std::string error_text(std::string_view name, std::vector<std::uint64_t> shape) {
    auto r = tensor_bytes(fmt_named(name), shape);
    REQUIRE_FALSE(r.ok());
    return r.error().to_string();
}

}  // namespace

TEST_SUITE("engine::format") {

TEST_CASE("every ggml type takes rows x blocks x block bytes on a 4096x4096 tensor") {
    const std::uint64_t rows = 4096;
    const std::vector<std::uint64_t> m{4096, 4096};
    CHECK(bytes("f32", m) == rows * 4096 * 4);            // 67,108,864
    CHECK(bytes("f16", m) == rows * 4096 * 2);            // 33,554,432
    CHECK(bytes("bf16", m) == rows * 4096 * 2);           // 33,554,432
    CHECK(bytes("f64", m) == rows * 4096 * 8);            // 134,217,728
    CHECK(bytes("i8", m) == rows * 4096 * 1);             // 16,777,216
    CHECK(bytes("i16", m) == rows * 4096 * 2);            // 33,554,432
    CHECK(bytes("i32", m) == rows * 4096 * 4);            // 67,108,864
    CHECK(bytes("i64", m) == rows * 4096 * 8);            // 134,217,728
    CHECK(bytes("q4_0", m) == rows * (4096 / 32) * 18);   // 9,437,184
    CHECK(bytes("q4_1", m) == rows * (4096 / 32) * 20);   // 10,485,760
    CHECK(bytes("q5_0", m) == rows * (4096 / 32) * 22);   // 11,534,336
    CHECK(bytes("q5_1", m) == rows * (4096 / 32) * 24);   // 12,582,912
    CHECK(bytes("q8_0", m) == rows * (4096 / 32) * 34);   // 17,825,792
    CHECK(bytes("q8_1", m) == rows * (4096 / 32) * 36);   // 18,874,368
    CHECK(bytes("q1_0", m) == rows * (4096 / 128) * 18);  // 2,359,296
    CHECK(bytes("q2_0", m) == rows * (4096 / 64) * 18);   // 4,718,592
    CHECK(bytes("q2_k", m) == rows * (4096 / 256) * 84);  // 5,505,024
    CHECK(bytes("q3_k", m) == rows * (4096 / 256) * 110); // 7,208,960
    CHECK(bytes("q4_k", m) == rows * (4096 / 256) * 144); // 9,437,184
    CHECK(bytes("q5_k", m) == rows * (4096 / 256) * 176); // 11,534,336
    CHECK(bytes("q6_k", m) == rows * (4096 / 256) * 210); // 13,762,560
    CHECK(bytes("q8_k", m) == rows * (4096 / 256) * 292); // 19,136,512
    CHECK(bytes("iq1_s", m) == rows * (4096 / 256) * 50); // 3,276,800
    CHECK(bytes("iq1_m", m) == rows * (4096 / 256) * 56); // 3,670,016
    CHECK(bytes("iq2_xxs", m) == rows * (4096 / 256) * 66);  // 4,325,376
    CHECK(bytes("iq2_xs", m) == rows * (4096 / 256) * 74);   // 4,849,664
    CHECK(bytes("iq2_s", m) == rows * (4096 / 256) * 82);    // 5,373,952
    CHECK(bytes("iq3_xxs", m) == rows * (4096 / 256) * 98);  // 6,422,528
    CHECK(bytes("iq3_s", m) == rows * (4096 / 256) * 110);   // 7,208,960
    CHECK(bytes("iq4_nl", m) == rows * (4096 / 32) * 18);    // 9,437,184
    CHECK(bytes("iq4_xs", m) == rows * (4096 / 256) * 136);  // 8,912,896
    CHECK(bytes("tq1_0", m) == rows * (4096 / 256) * 54);    // 3,538,944
    CHECK(bytes("tq2_0", m) == rows * (4096 / 256) * 66);    // 4,325,376
    CHECK(bytes("mxfp4", m) == rows * (4096 / 32) * 17);     // 8,912,896
    CHECK(bytes("nvfp4", m) == rows * (4096 / 64) * 36);     // 9,437,184
    CHECK(bytes("q4_k", m) == 9'437'184);
}

TEST_CASE("bits per weight matches the bpw column of formats.md for every row") {
    // formats.md §1.2 / §1.3; rows it has no figure for are derived from the block (noted).
    const std::map<std::string, double> expected{
        {"f32", 32}, {"f16", 16}, {"bf16", 16},
        {"f64", 64}, {"i8", 8}, {"i16", 16}, {"i32", 32}, {"i64", 64},  // S2 type sizes
        {"q4_0", 4.5}, {"q4_1", 5.0}, {"q5_0", 5.5}, {"q5_1", 6.0}, {"q8_0", 8.5},
        {"q8_1", 9.0},  // 36 B / 32, derived from S1
        {"q1_0", 1.125}, {"q2_0", 2.25},
        {"q2_k", 2.625}, {"q3_k", 3.4375}, {"q4_k", 4.5}, {"q5_k", 5.5}, {"q6_k", 6.5625},
        {"q8_k", 9.125},
        {"iq1_s", 1.5625}, {"iq1_m", 1.75}, {"iq2_xxs", 2.0625}, {"iq2_xs", 2.3125},
        {"iq2_s", 2.5625}, {"iq3_xxs", 3.0625}, {"iq3_s", 3.4375}, {"iq4_nl", 4.5},
        {"iq4_xs", 4.25}, {"tq1_0", 1.6875}, {"tq2_0", 2.0625},
        {"mxfp4", 4.25}, {"nvfp4", 4.5}, {"nvfp4_modelopt", 4.5},
        {"fp8", 8.0}, {"fp8_channel", 8.0}, {"fp8_block128", 8.002}, {"int8_channel", 8.0},
        {"gptq4_g128", 4.156}, {"gptq4_g64", 4.3125}, {"gptq4_g32", 4.625},  // 4 + 20/g
        {"awq4_g128", 4.156}, {"awq4_g64", 4.3125}, {"awq4_g32", 4.625},
        {"int4_g32", 4.5}, {"nf4", 4.5}, {"nf4_dq", 4.127},
    };
    for (const Format& f : all_formats()) {
        CAPTURE(f.name);
        auto it = expected.find(std::string(f.name));
        REQUIRE_MESSAGE(it != expected.end(), "add the bpw of " << f.name << " to this test");
        CHECK(bits_per_weight(f) == doctest::Approx(it->second).epsilon(0.0005));
    }
    CHECK(expected.size() == all_formats().size());
}

TEST_CASE("fp8 block128 rounds the tile count up on a non-multiple shape") {
    // 7168 x 2112: ceil(2112/128) = 17 row tiles x 56 column tiles = 952 fp32 scales.
    CHECK(bytes("fp8_block128", {7168, 2112}) == 7168ull * 2112 + 4 * 17 * 56);  // 15,142,624
}

TEST_CASE("fp8 and int8 scales are per matrix, per row") {
    CHECK(bytes("fp8", {4096, 4096}) == 16'777'216 + 4);
    CHECK(bytes("fp8", {4096, 4096, 8}) == 8 * (16'777'216ull + 4));  // one scale per expert
    CHECK(bytes("fp8_channel", {4096, 1024}) == 4096ull * 1024 + 4 * 1024);  // 4,198,400
    CHECK(bytes("int8_channel", {100, 3, 2}) == 600 + 4 * 6);
}

TEST_CASE("gptq and awq count qweight, scales, qzeros and g_idx") {
    // [in 256, out 64], g128: qweight 4*32*64 = 8192, scales 2*2*64 = 256,
    // qzeros 4*2*8 = 64, g_idx 4*256 = 1024.
    CHECK(bytes("gptq4_g128", {256, 64}) == 8192 + 256 + 64 + 1024);
    CHECK(bytes("awq4_g128", {256, 64}) == 8192 + 256 + 64);
    // [in 100, out 10], g32: qweight 4*ceil(100/8)*10 = 520, groups ceil(100/32) = 4,
    // scales 2*4*10 = 80, qzeros 4*4*ceil(10/8) = 32, g_idx 400.
    CHECK(bytes("gptq4_g32", {100, 10}) == 520 + 80 + 32 + 400);
    // AWQ g64 [100, 10]: qweight 4*100*ceil(10/8) = 800, groups 2, scales 40, qzeros 16.
    CHECK(bytes("awq4_g64", {100, 10}) == 800 + 40 + 16);
}

TEST_CASE("nf4 stores fp32 absmax per 64 and double quant nests it per 256") {
    CHECK(bytes("nf4", {128, 4}) == 256 + 4 * 8);
    CHECK(bytes("nf4", {7, 3}) == 11 + 4);           // 21 nibbles -> 11 B, one partial block
    CHECK(bytes("nf4_dq", {128, 4}) == 256 + 8 + 4);  // 8 uint8 absmax, one fp32 group
    // 4096 x 4096: 8,388,608 B codes + 262,144 absmax + 4 * 1024 = 8,654,848.
    CHECK(bytes("nf4_dq", {4096, 4096}) == 8'388'608 + 262'144 + 4 * 1024);
}

TEST_CASE("mxfp4 takes 17 bytes per 32 and accepts gpt-oss rows of 2880") {
    CHECK(bytes("mxfp4", {64, 2}) == 2 * 2 * 17);
    // gpt-oss-120b fused gate_up experts: 90 blocks * 17 B * 5760 rows * 128 experts.
    CHECK(bytes("mxfp4", {2880, 5760, 128}) == 90ull * 17 * 5760 * 128);  // 1,128,038,400
}

TEST_CASE("nvfp4 modelopt adds an fp8 scale per 16 and an fp32 global scale per matrix") {
    CHECK(bytes("nvfp4_modelopt", {64, 2}) == 64 + 8 + 4);
    CHECK(bytes("nvfp4_modelopt", {64, 2, 3}) == 3 * 76);
    CHECK(bytes("nvfp4_modelopt", {40, 2}) == 2 * 20 + 2 * 3 + 4);  // ceil(40/16) = 3 scales
}

TEST_CASE("kimi int4 g32 adds bf16 scales per 32 and an int64 weight_shape per matrix") {
    CHECK(bytes("int4_g32", {64, 2}) == 4 * 2 * 8 + 2 * 2 * 2 + 16);
    // Kimi-K2 expert [in 7168, out 2048]: 7,340,032 + 917,504 + 16 = 8,257,552.
    CHECK(bytes("int4_g32", {7168, 2048}) == 4ull * 2048 * 896 + 2ull * 2048 * 224 + 16);
}

TEST_CASE("a stacked expert tensor takes eight times one slice in every format") {
    for (const Format& f : all_formats()) {
        CAPTURE(f.name);
        const std::vector<std::uint64_t> one{4096, 14336};
        const std::vector<std::uint64_t> eight{4096, 14336, 8};
        auto a = tensor_bytes(f, one);
        auto b = tensor_bytes(f, eight);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(b.value() == 8 * a.value());
    }
    CHECK(bytes("q4_k", {4096, 14336, 8}) == 8ull * 14336 * 16 * 144);  // 264,241,152
}

TEST_CASE("q4_k on a gpt-oss row of 2880 is an error naming the format, row and block") {
    CHECK(error_text("q4_k", {2880, 2880}) ==
          "q4_k needs a row length that is a multiple of its 256-element block; "
          "got ne0 = 2880 in shape [2880, 2880]");
    auto r = tensor_bytes(fmt_named("q4_k"), std::vector<std::uint64_t>{2880, 2880});
    CHECK(r.error().kind == moefit::ErrorKind::input);
    CHECK_FALSE(r.error().hint.empty());
}

TEST_CASE("one-dimensional tensors work for floats and need whole blocks otherwise") {
    CHECK(bytes("f32", {2880}) == 2880 * 4);
    CHECK(bytes("bf16", {7}) == 14);
    CHECK(bytes("q4_0", {2880}) == 90 * 18);
    CHECK(bytes("fp8", {4096}) == 4096 + 4);
    CHECK(error_text("q4_k", {100}) ==
          "q4_k needs a row length that is a multiple of its 256-element block; "
          "got ne0 = 100 in shape [100]");
}

TEST_CASE("empty shapes and zero dimensions are errors") {
    CHECK(error_text("f16", {}) == "tensor shape is empty; expected at least one dimension");
    CHECK(error_text("f16", {4096, 0, 8}) == "tensor shape [4096, 0, 8] has a zero dimension (ne[1])");
}

TEST_CASE("a tensor past 2^64 bytes throws instead of wrapping") {
    const std::vector<std::uint64_t> huge{1ull << 40, 1ull << 40};
    CHECK_THROWS_AS((void)tensor_bytes(fmt_named("f32"), huge), moefit::ArithmeticOverflow);
    CHECK_THROWS_AS((void)tensor_bytes(fmt_named("gptq4_g32"), huge), moefit::ArithmeticOverflow);
}

TEST_CASE("lookup ignores case, accepts aliases and dashes") {
    CHECK(find_format("BF16") == &fmt_named("bf16"));
    CHECK(find_format("bfloat16") == &fmt_named("bf16"));
    CHECK(find_format("FP16") == &fmt_named("f16"));
    CHECK(find_format("fp8_e4m3") == &fmt_named("fp8"));
    CHECK(find_format("Q4_K") == &fmt_named("q4_k"));
    CHECK(find_format("iq2-xxs") == &fmt_named("iq2_xxs"));
    CHECK(find_format("GPTQ") == &fmt_named("gptq4_g128"));
}

TEST_CASE("unknown names return nullptr") {
    CHECK(find_format("q4_k_m") == nullptr);  // a llama.cpp mix, not a storage format
    CHECK(find_format("q9_0") == nullptr);
    CHECK(find_format("") == nullptr);
}

TEST_CASE("every name and alias is unique, lowercase and round-trips through find_format") {
    std::set<std::string> seen;
    for (const Format& f : all_formats()) {
        CAPTURE(f.name);
        CHECK(find_format(f.name) == &f);
        CHECK(seen.insert(std::string(f.name)).second);
        for (std::string_view alias : f.aliases) {
            if (alias.empty()) continue;
            CAPTURE(alias);
            CHECK(find_format(alias) == &f);
            CHECK(seen.insert(std::string(alias)).second);
        }
        for (char c : f.name) CHECK_FALSE((c >= 'A' && c <= 'Z'));
        CHECK(f.doc.find("[S") != std::string_view::npos);
    }
    CHECK(moefit::engine::format_names().size() == all_formats().size());
}

TEST_CASE("ggml type ids match ggml.h and removed slots have no format") {
    const std::map<std::uint32_t, std::string> ids{
        {0, "f32"}, {1, "f16"}, {2, "q4_0"}, {3, "q4_1"}, {6, "q5_0"}, {7, "q5_1"},
        {8, "q8_0"}, {9, "q8_1"}, {10, "q2_k"}, {11, "q3_k"}, {12, "q4_k"}, {13, "q5_k"},
        {14, "q6_k"}, {15, "q8_k"}, {16, "iq2_xxs"}, {17, "iq2_xs"}, {18, "iq3_xxs"},
        {19, "iq1_s"}, {20, "iq4_nl"}, {21, "iq3_s"}, {22, "iq2_s"}, {23, "iq4_xs"},
        {24, "i8"}, {25, "i16"}, {26, "i32"}, {27, "i64"}, {28, "f64"}, {29, "iq1_m"},
        {30, "bf16"}, {34, "tq1_0"}, {35, "tq2_0"}, {39, "mxfp4"}, {40, "nvfp4"},
        {41, "q1_0"}, {42, "q2_0"},
    };
    for (std::uint32_t id = 0; id < 64; ++id) {
        CAPTURE(id);
        const Format* f = find_format_by_ggml_type(id);
        auto it = ids.find(id);
        if (it == ids.end()) {
            CHECK(f == nullptr);
        } else {
            REQUIRE(f != nullptr);
            CHECK(f->name == it->second);
        }
    }
    for (const Format& f : all_formats()) {
        if (f.ggml_type) CHECK(find_format_by_ggml_type(*f.ggml_type) == &f);
    }
}

TEST_CASE("only the dot-product intermediates are not storable") {
    for (const Format& f : all_formats()) {
        CAPTURE(f.name);
        CHECK(f.storable == (f.name != "q8_k" && f.name != "q8_1"));
    }
}

TEST_CASE("family names are the short lowercase words") {
    CHECK(moefit::engine::family_name(fmt_named("bf16").family) == "float");
    CHECK(moefit::engine::family_name(fmt_named("int4_g32").family) == "int");
    CHECK(moefit::engine::family_name(fmt_named("q4_k").family) == "ggml");
    CHECK(moefit::engine::family_name(fmt_named("nf4").family) == "bnb");
    CHECK(moefit::engine::family_name(fmt_named("mxfp4").family) == "mx");
}

TEST_CASE("bytes grow with elements and match bpw times elements for large tensors") {
    for (const Format& f : all_formats()) {
        CAPTURE(f.name);
        // Each shape has more elements than the one before it (rows, row length, experts).
        const std::vector<std::vector<std::uint64_t>> growing{
            {256}, {256, 64}, {256, 65}, {512, 65}, {768, 65}, {768, 65, 2}, {768, 65, 2, 3}};
        std::uint64_t previous = 0;
        for (const auto& shape : growing) {
            CAPTURE(shape.size());
            auto r = tensor_bytes(f, shape);
            REQUIRE(r.ok());
            CHECK(r.value() > previous);
            previous = r.value();
        }
        const std::uint64_t n = 16384ull * 4096;
        auto big = tensor_bytes(f, std::vector<std::uint64_t>{16384, 4096});
        REQUIRE(big.ok());
        const double nominal = bits_per_weight(f) * static_cast<double>(n) / 8.0;
        // Extras beyond the nominal block: GPTQ g_idx is 32/out bpw = 0.19 % here.
        CHECK(static_cast<double>(big.value()) == doctest::Approx(nominal).epsilon(0.003));
        CHECK(static_cast<double>(big.value()) >= nominal);
    }
}

}  // TEST_SUITE
