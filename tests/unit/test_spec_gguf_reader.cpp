#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "binary_builders.hpp"
#include "spec/gguf_reader.hpp"

using namespace moefit;
using namespace moefit::spec;
using moefit::test::ByteWriter;
using moefit::test::GgufBuilder;
using namespace moefit::test::ggml_type;
using moefit::test::MemoryFileSystem;
namespace gt = moefit::test::gguf_type;

namespace {

// The few ggml types the tests use; the real table lives in the engine.
std::optional<GgmlTypeSize> test_types(std::uint32_t id) {
    switch (id) {
        case F32:
            return GgmlTypeSize{"F32", 1, 4};
        case F16:
            return GgmlTypeSize{"F16", 1, 2};
        case Q8_0:
            return GgmlTypeSize{"Q8_0", 32, 34};
        case Q4_K:
            return GgmlTypeSize{"Q4_K", 256, 144};
        default:
            return std::nullopt;
    }
}

Result<GgufHeader> read(const std::vector<std::uint8_t>& bytes, bool sized = true) {
    MemoryByteSource source(bytes);
    GgufReadOptions options;
    if (sized) options.type_table = test_types;
    return read_gguf(source, options);
}

std::string error_of(const std::vector<std::uint8_t>& bytes, bool sized = true) {
    auto r = read(bytes, sized);
    REQUIRE_FALSE(r.ok());
    return r.error().to_string();
}

GgufBuilder small_model() {
    GgufBuilder b;
    b.version(3)
        .alignment(64)
        .kv_string("general.architecture", "qwen3moe")
        .kv("k.u8", gt::u8, std::uint8_t{200})
        .kv("k.i8", gt::i8, std::int8_t{-5})
        .kv("k.u16", gt::u16, std::uint16_t{65535})
        .kv("k.i16", gt::i16, std::int16_t{-300})
        .kv_u32("qwen3moe.block_count", 48)
        .kv_i32("k.i32", -7)
        .kv_f32("k.f32", 0.5f)
        .kv_bool("k.bool", true)
        .kv_u32_array("k.heads", {4, 4, 8})
        .kv_string_array("tokenizer.ggml.tokens", {"a", "bc", ""})
        .kv_u64("k.u64", 1ull << 40)
        .kv("k.i64", gt::i64, std::int64_t{-1})
        .kv("k.f64", gt::f64, 2.25)
        .tensor("token_embd.weight", {256, 10}, Q4_K, 10 * 144)
        .tensor("blk.0.ffn_up.weight", {64, 3}, Q8_0, 2 * 3 * 34)
        .tensor("output_norm.weight", {256}, F32, 1024);
    return b;
}

}  // namespace

TEST_SUITE("spec::gguf_reader") {
    TEST_CASE("a small valid file round-trips every field") {
        const GgufBuilder b = small_model();
        const auto bytes = b.build();
        auto r = read(bytes);
        REQUIRE_MESSAGE(r.ok(), r.error().to_string());
        const GgufHeader& h = *r;
        CHECK_EQ(h.file, "input");
        CHECK_EQ(h.version, 3);
        CHECK_EQ(h.alignment, 64);
        CHECK_EQ(h.data_offset, b.data_offset());
        CHECK_EQ(h.data_offset % 64, 0);
        CHECK_EQ(h.file_size, bytes.size());
        CHECK_EQ(h.metadata.size(), 15);

        CHECK_EQ(*get_string(h, "general.architecture"), "qwen3moe");
        CHECK_EQ(*get_u64(h, "k.u8"), 200);
        CHECK_EQ(*get_i64(h, "k.i8"), -5);
        CHECK_EQ(*get_u64(h, "k.u16"), 65535);
        CHECK_EQ(*get_i64(h, "k.i16"), -300);
        CHECK_EQ(*get_u64(h, "qwen3moe.block_count"), 48);
        CHECK_EQ(*get_i64(h, "k.i32"), -7);
        CHECK_EQ(*get_f64(h, "k.f32"), 0.5);
        CHECK_EQ(*get_bool(h, "k.bool"), true);
        CHECK_EQ(*get_u64_array(h, "k.heads"), std::vector<std::uint64_t>{4, 4, 8});
        CHECK_EQ(*get_array_length(h, "tokenizer.ggml.tokens"), 3);
        const auto& tokens = std::get<GgufArray>(find_key(h, "tokenizer.ggml.tokens")->data);
        CHECK(tokens.kept());
        CHECK_EQ(tokens.element_type, GgufType::string);
        CHECK_EQ(std::get<std::string>(tokens.elements[1].data), "bc");
        CHECK_EQ(*get_u64(h, "k.u64"), 1ull << 40);
        CHECK_EQ(*get_i64(h, "k.i64"), -1);
        CHECK_EQ(*get_f64(h, "k.f64"), 2.25);
        CHECK_EQ(*get_u64(h, "general.alignment"), 64);
        CHECK_EQ(find_key(h, "k.i32")->type, GgufType::int32);

        REQUIRE_EQ(h.tensors.size(), 3);
        const GgufTensor& embd = h.tensors[0];
        CHECK_EQ(embd.name, "token_embd.weight");
        CHECK_EQ(embd.dims, std::vector<std::uint64_t>{256, 10});
        CHECK_EQ(embd.type, Q4_K);
        CHECK_EQ(embd.offset, 0);
        CHECK_EQ(embd.elements, 2560);
        CHECK_EQ(embd.bytes, std::optional<std::uint64_t>(1440));
        CHECK_EQ(embd.shard, 0);
        CHECK_EQ(h.tensors[1].offset, 1472);  // 1440 rounded up to 64
        CHECK_EQ(h.tensors[1].bytes, std::optional<std::uint64_t>(204));
        CHECK_EQ(h.tensors[2].offset, 1728);
        CHECK_EQ(h.tensors[2].type, F32);
        CHECK_EQ(h.tensors[2].bytes, std::optional<std::uint64_t>(1024));
        CHECK(embd.info_offset < h.tensors[1].info_offset);
        CHECK(h.tensors[2].info_offset < h.data_offset);
    }

    TEST_CASE("without a type table tensors keep raw type ids and no byte size") {
        auto r = read(small_model().build(), /*sized=*/false);
        REQUIRE(r.ok());
        CHECK_FALSE(r->tensors[0].bytes.has_value());
        CHECK_EQ(r->tensors[0].type, Q4_K);
    }

    TEST_CASE("version 2 is read and the default alignment is 32") {
        GgufBuilder b;
        b.version(2).kv_string("general.name", "x").tensor("a", {8}, F32, 32).tensor("b", {3}, F16, 6);
        auto r = read(b.build());
        REQUIRE_MESSAGE(r.ok(), r.error().to_string());
        CHECK_EQ(r->version, 2);
        CHECK_EQ(r->alignment, 32);
        CHECK_EQ(r->data_offset % 32, 0);
        CHECK_EQ(r->tensors[1].offset, 32);
    }

    TEST_CASE("a long array keeps its count but not its elements") {
        std::vector<std::string> vocab(70000, "tok");
        GgufBuilder b;
        b.kv_string_array("tokenizer.ggml.tokens", vocab).kv_u32_array("big", std::vector<std::uint32_t>(70000, 1));
        auto r = read(b.build());
        REQUIRE(r.ok());
        CHECK_EQ(*get_array_length(*r, "tokenizer.ggml.tokens"), 70000);
        CHECK_FALSE(std::get<GgufArray>(find_key(*r, "tokenizer.ggml.tokens")->data).kept());
        CHECK_EQ(get_u64_array(*r, "big").error().to_string(),
                 "input: big: array of 70000 elements is too long to have been kept (limit 65536)");
    }

    TEST_CASE("typed getters say what they expected and what they found") {
        auto r = read(small_model().build());
        REQUIRE(r.ok());
        CHECK_EQ(get_u64(*r, "general.architecture").error().to_string(),
                 "input: general.architecture: expected an unsigned integer, found string");
        CHECK_EQ(get_u64(*r, "k.i32").error().to_string(),
                 "input: k.i32: expected an unsigned integer, found int32 -7");
        CHECK_EQ(get_string(*r, "k.u16").error().to_string(), "input: k.u16: expected a string, found uint16");
        CHECK_EQ(get_bool(*r, "k.heads").error().to_string(), "input: k.heads: expected a bool, found array of uint32");
        CHECK_EQ(get_f64(*r, "k.bool").error().to_string(), "input: k.bool: expected a number, found bool");
        CHECK_EQ(get_u64_array(*r, "tokenizer.ggml.tokens").error().to_string(),
                 "input: tokenizer.ggml.tokens: expected an array of unsigned integers, found array of string");
        CHECK_EQ(get_u64(*r, "qwen3moe.expert_count").error().to_string(),
                 "input: qwen3moe.expert_count: missing from the GGUF metadata");
        CHECK_EQ(*get_f64(*r, "qwen3moe.block_count"), 48.0);
    }

    TEST_CASE("malformed files give exact messages") {
        struct Case {
            std::string name;
            std::vector<std::uint8_t> bytes;
            std::string expected;
        };
        auto truncated = small_model().build();
        truncated.resize(10);
        ByteWriter long_key;  // a key claiming 100 bytes with 3 left
        long_key.raw("GGUF").put<std::uint32_t>(3).put<std::uint64_t>(0).put<std::uint64_t>(1);
        long_key.put<std::uint64_t>(100).raw("abc");
        // A file with one key/value whose payload (after the type id) is written by hand.
        auto one_kv = [](const std::string& key, std::uint32_t type, const ByteWriter& payload) {
            return GgufBuilder().kv_raw(key, type, payload.bytes).build();
        };
        auto u64 = [](std::uint64_t n) { return ByteWriter{}.put(n); };
        auto past_the_end = GgufBuilder().tensor("a", {8}, F32, 32).tensor_at("t", {8}, F32, 4096).build();
        past_the_end.resize(96 + 32);  // 90 bytes of header round up to 96; keep only tensor a's data
        const std::vector<Case> cases = {
            {"truncated header", truncated, "input: at byte 8: unexpected end of file while reading the tensor count"},
            {"empty file", {}, "input: at byte 0: unexpected end of file while reading the magic number"},
            {"wrong magic", GgufBuilder().magic("GGML").build(),
             "input: at byte 0: not a GGUF file: the magic number is \"GGML\", expected \"GGUF\""},
            {"binary magic",
             GgufBuilder()
                 .magic(std::string("\x7f"
                                    "ELF",
                                    4))
                 .build(),
             "input: at byte 0: not a GGUF file: the magic number is \"\\x7fELF\", expected \"GGUF\""},
            {"version 1", GgufBuilder().version(1).build(),
             "input: at byte 4: GGUF version 1 is not supported (only versions 2 and 3)"},
            {"version 4", GgufBuilder().version(4).build(),
             "input: at byte 4: unsupported GGUF version 4 (supported: 2 and 3)"},
            {"big-endian", GgufBuilder().version(0x03000000u).build(),
             "input: at byte 4: big-endian GGUF files are not supported"},
            {"absurd tensor count", GgufBuilder().tensor_count(1ull << 40).build(),
             "input: at byte 8: tensor count 1099511627776 is over the limit of 1048576"},
            {"absurd metadata count", GgufBuilder().kv_count(1ull << 21).build(),
             "input: at byte 16: metadata count 2097152 is over the limit of 1048576"},
            {"more metadata than the file holds", GgufBuilder().kv_count(3).build(),
             "input: at byte 24: unexpected end of file while reading the length of a metadata key"},
            {"key length past the end", long_key.bytes,
             "input: at byte 32: unexpected end of file while reading a metadata key"},
            {"string value length past the end", one_kv("general.name", gt::string, u64(1000).raw("ab")),
             "input: at byte 56: general.name: unexpected end of file while reading a string value"},
            {"string over 1 MiB", one_kv("general.name", gt::string, u64(2u << 20)),
             "input: at byte 48: general.name: a string value of 2097152 bytes is over the 1 MiB limit"},
            {"unknown value type", one_kv("x", 13, {}), "input: at byte 33: x: unknown value type 13"},
            {"nested array", one_kv("x", gt::array, ByteWriter{}.put(gt::array).put<std::uint64_t>(1)),
             "input: at byte 37: x: nested arrays are not supported"},
            {"array over the limit", one_kv("x", gt::array, ByteWriter{}.put(gt::u8).put<std::uint64_t>(1ull << 25)),
             "input: at byte 41: x: array of 33554432 elements is over the limit of 16777216"},
            {"array longer than the file", one_kv("x", gt::array, ByteWriter{}.put(gt::u32).put<std::uint64_t>(1000)),
             "input: at byte 49: x: unexpected end of file while reading an array of 1000 uint32 values"},
            {"bool that is not 0 or 1", GgufBuilder().kv("x", gt::boolean, std::uint8_t{2}).build(),
             "input: at byte 37: x: invalid bool value 2, expected 0 or 1"},
            {"duplicate key", GgufBuilder().kv_u32("a", 1).kv_u32("a", 2).build(),
             "input: at byte 41: a: duplicate metadata key (first at byte 24)"},
            {"alignment not a power of two", GgufBuilder().kv_u32("general.alignment", 48).build(),
             "input: at byte 24: general.alignment: expected a power of two, found 48"},
            {"alignment of the wrong type", GgufBuilder().kv_string("general.alignment", "32").build(),
             "input: at byte 24: general.alignment: expected an unsigned integer, found string"},
            {"n_dims 7", GgufBuilder().tensor_at("t", {1, 1, 1, 1, 1, 1, 1}, F32, 0).build(),
             "input: at byte 33: t: n_dims is 7, expected 1 to 4"},
            {"zero dimension", GgufBuilder().tensor_at("t", {4, 0}, F32, 0).build(),
             "input: at byte 45: t: dimension 1 is 0, expected at least 1"},
            {"element count overflow", GgufBuilder().tensor_at("t", {1ull << 32, 1ull << 32}, F32, 0).build(),
             "input: at byte 45: t: the element count overflows int64"},
            {"duplicate tensor names", GgufBuilder().tensor("t", {8}, F32, 32).tensor("t", {8}, F32, 32).build(),
             "input: at byte 57: t: duplicate tensor name (first at byte 24)"},
            {"offset not aligned", GgufBuilder().tensor_at("t", {8}, F32, 16, 32).build(),
             "input: at byte 24: t: data offset 16 is not a multiple of the alignment 32"},
            {"offset past the end", past_the_end,
             "input: at byte 57: t: data offset 4096 is past the end of the file (the data section holds 32 bytes)"},
            {"data past the end", GgufBuilder().tensor("t", {64}, F32, 32).build(),
             "input: at byte 24: t: 256 bytes of data at offset 0 run past the end of the file "
             "(the data section holds 32 bytes)"},
            {"unknown ggml type", GgufBuilder().tensor("t", {8}, 99, 32).build(),
             "input: at byte 24: t: unknown ggml type 99"},
            {"row not a whole number of blocks", GgufBuilder().tensor("t", {100, 2}, Q4_K, 288).build(),
             "input: at byte 24: t: row length 100 is not a multiple of the Q4_K block size 256"},
            {"tensor infos cut short", GgufBuilder().tensor_count(2).tensor_at("t", {8}, F32, 0).build(),
             "input: at byte 57: unexpected end of file while reading the length of a tensor name"},
        };
        for (const Case& c : cases) {
            CAPTURE(c.name);
            CHECK_EQ(error_of(c.bytes), c.expected);
        }
    }

    TEST_CASE("version 1 comes with a hint") {
        auto r = read(GgufBuilder().version(1).build());
        REQUIRE_FALSE(r.ok());
        CHECK_EQ(r.error().hint, "convert the model again with a current llama.cpp");
    }

    TEST_CASE("the header cap is reported as a limit, not as a truncated file") {
        MemoryByteSource source(std::vector<std::uint8_t>(64, 0));
        ByteCursor cur(source, 16, "the 16-byte test limit");
        CHECK(cur.skip(12, "padding").ok());
        CHECK_EQ(cur.read<std::uint64_t>("a count").error().to_string(),
                 "input: at byte 12: reading a count would pass the 16-byte test limit");
    }

    TEST_CASE("every truncation and random corruption fails cleanly") {
        const auto good = small_model().build();
        for (std::size_t n = 0; n < good.size(); n += (n < 600 ? 1 : 97)) {
            auto bytes = std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
            CAPTURE(n);
            CHECK_FALSE(read(bytes).ok());  // the sized tensors need every data byte
        }
        std::mt19937 rng(12345);
        for (int round = 0; round < 2000; ++round) {
            auto bytes = good;
            for (int flips = 0; flips < 3; ++flips) bytes[rng() % 600] = static_cast<std::uint8_t>(rng());
            auto r = read(bytes);  // must return, ok or not, without crashing or allocating wildly
            if (r.ok()) CHECK(r->tensors.size() <= 3);
        }
    }

    TEST_CASE("a split model is merged from all its shards") {
        auto shard = [](std::uint16_t no, std::vector<std::string> names) {
            GgufBuilder b;
            b.kv("split.no", gt::u16, no).kv("split.count", gt::u16, std::uint16_t{3});
            if (no == 0) b.kv_string("general.architecture", "deepseek2").kv("split.tensors.count", gt::i32, 4);
            for (const auto& n : names) b.tensor(n, {32}, F16, 64);
            return b.build();
        };
        MemoryFileSystem fs;
        fs.add("m/ds-00001-of-00003.gguf", shard(0, {"token_embd.weight"}))
            .add("m/ds-00002-of-00003.gguf", shard(1, {"blk.0.a", "blk.0.b"}))
            .add("m/ds-00003-of-00003.gguf", shard(2, {"output.weight"}));
        GgufReadOptions options{test_types};

        SUBCASE("from the first shard or any other") {
            for (const char* path : {"m/ds-00001-of-00003.gguf", "m/ds-00003-of-00003.gguf"}) {
                auto r = read_gguf_model(path, fs, options);
                REQUIRE_MESSAGE(r.ok(), r.error().to_string());
                CHECK_EQ(r->header.file, "m/ds-00001-of-00003.gguf");
                CHECK_EQ(*get_string(r->header, "general.architecture"), "deepseek2");
                REQUIRE_EQ(r->shards.size(), 3);
                CHECK_EQ(r->shards[1].file, "m/ds-00002-of-00003.gguf");
                CHECK_EQ(r->shards[1].tensor_count, 2);
                REQUIRE_EQ(r->header.tensors.size(), 4);
                CHECK_EQ(r->header.tensors[2].name, "blk.0.b");
                CHECK_EQ(r->header.tensors[2].shard, 1);
                CHECK_EQ(r->header.tensors[3].shard, 2);
                CHECK_EQ(r->header.tensors[3].bytes, std::optional<std::uint64_t>(64));
            }
        }
        SUBCASE("a missing shard is named") {
            MemoryFileSystem partial;
            partial.add("m/ds-00001-of-00003.gguf", shard(0, {"token_embd.weight"}))
                .add("m/ds-00003-of-00003.gguf", shard(2, {"output.weight"}));
            auto r = read_gguf_model("m/ds-00001-of-00003.gguf", partial, options);
            REQUIRE_FALSE(r.ok());
            CHECK_EQ(r.error().to_string(), "m/ds-00002-of-00003.gguf: shard 2 of 3 is missing");
            CHECK_EQ(r.error().kind, ErrorKind::io);
        }
        SUBCASE("a tensor in two shards names both files") {
            fs.add("m/ds-00003-of-00003.gguf", shard(2, {"blk.0.a"}));
            CHECK_EQ(read_gguf_model("m/ds-00001-of-00003.gguf", fs, options).error().to_string(),
                     "m/ds-00003-of-00003.gguf: at byte 71: blk.0.a: tensor name also appears in "
                     "\"m/ds-00002-of-00003.gguf\"");
        }
        SUBCASE("split.tensors.count must match") {
            fs.add("m/ds-00003-of-00003.gguf", shard(2, {}));
            CHECK_EQ(read_gguf_model("m/ds-00001-of-00003.gguf", fs, options).error().to_string(),
                     "m/ds-00001-of-00003.gguf: split.tensors.count: is 4, but the shards hold 3 tensors");
        }
        SUBCASE("split.no must match the file name") {
            fs.add("m/ds-00002-of-00003.gguf", shard(2, {"blk.0.a", "blk.0.b"}));
            CHECK_EQ(
                read_gguf_model("m/ds-00001-of-00003.gguf", fs, options).error().to_string(),
                "m/ds-00002-of-00003.gguf: split.no: is 2, but the file name says shard 2 (split.no counts from 0)");
        }
    }

    TEST_CASE("split file names are recognised only in llama.cpp's pattern") {
        auto s = parse_gguf_split_name("Qwen3-235B-Q4_K_M-00002-of-00005.gguf");
        REQUIRE(s.has_value());
        CHECK_EQ(s->prefix, "Qwen3-235B-Q4_K_M");
        CHECK_EQ(s->index, 2);
        CHECK_EQ(s->count, 5);
        CHECK_FALSE(parse_gguf_split_name("model.gguf").has_value());
        CHECK_FALSE(parse_gguf_split_name("m-00004-of-00003.gguf").has_value());
        CHECK_FALSE(parse_gguf_split_name("m-0001a-of-00003.gguf").has_value());
        CHECK_FALSE(parse_gguf_split_name("-00001-of-00003.gguf").has_value());
        CHECK_FALSE(parse_gguf_split_name("m-00001-of-00003.bin").has_value());
    }

    TEST_CASE("a single unsplit file is read as a one-shard model") {
        MemoryFileSystem fs;
        fs.add("one.gguf", small_model().build());
        auto r = read_gguf_model("one.gguf", fs, GgufReadOptions{test_types});
        REQUIRE(r.ok());
        CHECK_EQ(r->shards.size(), 1);
        CHECK_EQ(r->header.tensors.size(), 3);
        CHECK_EQ(read_gguf_model("none.gguf", fs).error().to_string(), "none.gguf: no such file");
    }

}  // TEST_SUITE
