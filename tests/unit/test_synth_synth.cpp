#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/gguf_summary.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "reference/thread_pool.hpp"
#include "reference/weights.hpp"
#include "spec/gguf_model.hpp"
#include "spec/gguf_reader.hpp"
#include "spec/model_catalog.hpp"
#include "synth/gguf_arch.hpp"
#include "synth/gguf_vocab.hpp"
#include "synth/gguf_writer.hpp"
#include "synth/synth.hpp"

using namespace moefit;
using namespace moefit::synth;

namespace {

SynthModel synth_plan(const std::string& name, const std::string& quant = "q8_0", std::uint64_t budget = 4ull << 20,
                      std::uint64_t layers = 4) {
    auto spec = spec::find_builtin_model(name);
    REQUIRE_MESSAGE(spec.ok(), spec.error().to_string());
    SynthOptions o;
    o.budget_bytes = budget;
    o.quant = quant;
    o.num_layers = layers;
    auto m = plan_synth(*spec, o);
    REQUIRE_MESSAGE(m.ok(), m.error().to_string());
    return std::move(*m);
}

spec::GgufHeader read_back(const SynthFile& f) {
    spec::MemoryByteSource src(f.bytes, f.name);
    auto h = spec::read_gguf(src, spec::GgufReadOptions{engine::ggml_type_table()});
    REQUIRE_MESSAGE(h.ok(), h.error().to_string());
    return std::move(*h);
}

}  // namespace

TEST_SUITE("synth::synth") {
    TEST_CASE("the written GGUF reads back as exactly the scaled spec's tensors and bytes") {
        for (const char* name :
             {"mixtral-8x7b", "qwen3-235b-a22b", "deepseek-v3", "kimi-k2", "gpt-oss-20b", "glm-4.5"}) {
            CAPTURE(name);
            const SynthModel m = synth_plan(name);
            CHECK(m.weights.total_bytes <= 4ull << 20);
            auto file = build_gguf(m);
            REQUIRE_MESSAGE(file.ok(), file.error().to_string());
            const spec::GgufHeader h = read_back(*file);
            CHECK(h.version == 3);
            CHECK(h.alignment == 32);
            REQUIRE(h.tensors.size() == m.inventory.tensors.size());
            std::uint64_t file_bytes = 0;
            for (std::size_t i = 0; i < h.tensors.size(); ++i) {
                const model::Tensor& t = m.inventory.tensors[i];
                CHECK(h.tensors[i].name == gguf_tensor_name(m.scaled, t));
                CHECK(h.tensors[i].dims == t.shape);
                CHECK(*h.tensors[i].bytes == m.weights.tensors[i].bytes);
                CHECK(h.tensors[i].offset % 32 == 0);
                file_bytes += *h.tensors[i].bytes;
            }
            CHECK(file_bytes == m.weights.total_bytes);

            // Our GGUF reader describes the same model: same inventory, same bytes under the scheme.
            auto back = spec::spec_from_gguf(h);
            REQUIRE_MESSAGE(back.ok(), back.error().to_string());
            CHECK(back->architecture == m.scaled.architecture);
            const model::Inventory inv = model::build_inventory(*back);
            REQUIRE(inv.tensors.size() == m.inventory.tensors.size());
            for (std::size_t i = 0; i < inv.tensors.size(); ++i) {
                CHECK(inv.tensors[i].name == m.inventory.tensors[i].name);
                CHECK(inv.tensors[i].shape == m.inventory.tensors[i].shape);
            }
            auto scheme = engine::parse_scheme(m.scheme, *back);
            REQUIRE(scheme.ok());
            auto w = engine::compute_weights(inv, *back, *scheme);
            REQUIRE(w.ok());
            CHECK(w->total_bytes == m.weights.total_bytes);
            CHECK(w->params == m.weights.params);
            CHECK(get_array_length(h, "tokenizer.ggml.tokens").value() == m.scaled.vocab_size);
        }
    }

    TEST_CASE("the GGUF holds the reference pass's weights byte for byte") {
        const SynthModel m = synth_plan("deepseek-v3");
        auto file = build_gguf(m);
        REQUIRE(file.ok());
        const spec::GgufHeader h = read_back(*file);
        reference::ThreadPool pool(1);
        auto ref = reference::ReferenceWeights::create(m.scaled, m.scheme, m.options.seed, pool);
        REQUIRE_MESSAGE(ref.ok(), ref.error().to_string());
        REQUIRE((*ref)->tensors().size() == h.tensors.size());
        for (std::size_t i = 0; i < h.tensors.size(); ++i) {
            const reference::WeightTensor& t = (*ref)->tensors()[i];
            REQUIRE(t.bytes == *h.tensors[i].bytes);
            CHECK(std::memcmp(file->bytes.data() + h.data_offset + h.tensors[i].offset, t.data.get(), t.bytes) == 0);
        }
    }

    TEST_CASE("norms and the router stay f32 and matrices take the quant") {
        for (const char* quant : {"q8_0", "q4_0", "f16", "bf16", "f32"}) {
            CAPTURE(quant);
            const SynthModel m = synth_plan("gpt-oss-20b", quant);
            for (const engine::TensorAssignment& a : m.weights.tensors) {
                const model::Tensor& t = m.inventory.tensors[a.tensor_index];
                CAPTURE(t.name);
                const bool matrix = t.shape.size() >= 2 && t.role != model::Role::bias && t.role != model::Role::router;
                if (matrix) CHECK(a.format->name == std::string(quant));
                // Biases and sinks follow the file type's converter rule (bf16 in GGUF_BF16).
                if (t.role == model::Role::norm || t.role == model::Role::router) CHECK(a.format->name == "f32");
            }
        }
    }

    TEST_CASE("the budget bounds the weights and a larger budget gives a larger model") {
        const SynthModel small = synth_plan("mixtral-8x7b", "q8_0", 4ull << 20);
        const SynthModel large = synth_plan("mixtral-8x7b", "q8_0", 16ull << 20);
        CHECK(small.weights.total_bytes <= 4ull << 20);
        CHECK(large.weights.total_bytes <= 16ull << 20);
        CHECK(large.weights.total_bytes > small.weights.total_bytes);
        CHECK(large.scale.factor < small.scale.factor);
        CHECK(small.scaled.moe.num_experts == 8);
        CHECK(small.scaled.moe.experts_per_token == 2);
    }

    TEST_CASE("the manifest's class bytes sum to the weights") {
        const SynthModel m = synth_plan("qwen3-235b-a22b");
        const auto j = synth_manifest(m, {});
        std::uint64_t sum = 0;
        for (const auto& [cls, bytes] : j["weights"]["by_class"].items()) sum += bytes.get<std::uint64_t>();
        CHECK(sum == m.weights.total_bytes);
        CHECK(j["gguf_arch"] == "qwen3moe");
        CHECK(j["scale"]["num_layers"] == 4);
    }

    TEST_CASE("unknown quants and architectures synth cannot write are errors") {
        auto spec = spec::find_builtin_model("mixtral-8x7b");
        REQUIRE(spec.ok());
        SynthOptions o;
        o.quant = "q8";
        auto bad = plan_synth(*spec, o);
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().message == "unknown synth weight type \"q8\" (expected one of f32, f16, bf16, q8_0, q4_0)");
        o.quant = "q8_0";
        o.format = SynthFormat::safetensors;
        auto st = plan_synth(*spec, o);
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().message == "safetensors stores f32, f16 or bf16, not q8_0");

        const SynthModel next = synth_plan("qwen3-next-80b-a3b", "q8_0", 16ull << 20);
        auto file = build_gguf(next);
        REQUIRE_FALSE(file.ok());
        CHECK(file.error().kind == ErrorKind::not_found);
    }

    TEST_CASE("the vocabulary has byte tokens and fills up to the vocabulary size") {
        auto kvs = gguf_vocab(300);
        REQUIRE(kvs.ok());
        const auto& tokens = std::get<std::vector<std::string>>((*kvs)[1].value);
        REQUIRE(tokens.size() == 300);
        CHECK(tokens[3] == "<0x00>");
        CHECK(tokens[3 + 10] == "<0x0A>");
        CHECK(tokens[259] ==
              "\xE2\x96\x81"
              "aa");
        auto small = gguf_vocab(258);
        REQUIRE_FALSE(small.ok());
        CHECK(small.error().message ==
              "the scaled vocabulary has 258 tokens; a GGUF vocabulary needs at least 259 (use a larger budget)");
    }

    TEST_CASE("the writer rejects duplicate tensor names") {
        GgufWriter w;
        w.add_tensor({"a.weight", {32}, 0, 128});
        w.add_tensor({"a.weight", {32}, 0, 128});
        const Status st = w.layout();
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().message == "expected a unique, non-empty tensor name");
    }
}
