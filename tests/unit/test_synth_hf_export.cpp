#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "binary_builders.hpp"
#include "engine/checkpoint_compare.hpp"
#include "engine/scheme.hpp"
#include "engine/weights.hpp"
#include "model/accounting.hpp"
#include "model/tensor_names.hpp"
#include "reference/init.hpp"
#include "reference/quant.hpp"
#include "spec/hf_config.hpp"
#include "spec/model_catalog.hpp"
#include "spec/safetensors_reader.hpp"
#include "synth/hf_export.hpp"
#include "synth/synth.hpp"

using namespace moefit;
using namespace moefit::synth;

namespace {

// Qwen1.5-MoE-A2.7B's config.json shape: no built-in spec has Qwen2-MoE's gated shared expert.
constexpr const char* kQwen2MoeConfig = R"({
  "_name_or_path": "Qwen/Qwen1.5-MoE-A2.7B", "architectures": ["Qwen2MoeForCausalLM"],
  "vocab_size": 151936, "hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16,
  "num_key_value_heads": 16, "intermediate_size": 5632, "moe_intermediate_size": 1408,
  "shared_expert_intermediate_size": 5632, "num_experts": 60, "num_experts_per_tok": 4,
  "decoder_sparse_step": 1, "max_position_embeddings": 8192, "torch_dtype": "bfloat16"})";

model::ModelSpec source_spec(const std::string& name) {
    if (name == "qwen2moe") {
        auto c = spec::read_hf_config(kQwen2MoeConfig, "config.json");
        REQUIRE_MESSAGE(c.ok(), c.error().to_string());
        return c->spec;
    }
    auto s = spec::find_builtin_model(name);
    REQUIRE_MESSAGE(s.ok(), s.error().to_string());
    return *s;
}

SynthModel export_plan(const std::string& name, const std::string& quant = "f16", std::uint64_t budget = 16ull << 20) {
    SynthOptions o;
    o.format = SynthFormat::safetensors;
    o.budget_bytes = budget;
    o.quant = quant;
    o.num_layers = 4;
    auto m = plan_synth(source_spec(name), o);
    REQUIRE_MESSAGE(m.ok(), m.error().to_string());
    return std::move(*m);
}

struct Folder {
    std::string config;
    std::vector<std::uint8_t> safetensors;
};

Folder build(const SynthModel& m) {
    auto files = build_safetensors(m);
    REQUIRE_MESSAGE(files.ok(), files.error().to_string());
    REQUIRE(files->size() == 2);
    CHECK((*files)[0].name == "config.json");
    CHECK((*files)[1].name == "model.safetensors");
    return {std::string((*files)[0].bytes.begin(), (*files)[0].bytes.end()), std::move((*files)[1].bytes)};
}

// Reads the folder back as `moefit inspect` does: config.json, then every *.safetensors.
spec::SafetensorsModel read_folder(const Folder& f) {
    test::MemoryFileSystem fs;
    fs.add("synth/config.json", f.config).add("synth/model.safetensors", f.safetensors);
    auto st = spec::read_safetensors_model("synth", fs);
    REQUIRE_MESSAGE(st.ok(), st.error().to_string());
    return std::move(*st);
}

std::vector<std::uint8_t> encoded(const SynthModel& m, std::size_t tensor, std::uint64_t first, std::size_t count) {
    std::vector<float> v(count);
    reference::init_tensor(m.options.seed, tensor, m.inventory.tensors[tensor], first, v);
    std::vector<std::uint8_t> out(2 * count);
    reference::encode_row(reference::WeightKind::f16, v, out);
    return out;
}

// Bytes before the data section: the 8-byte length and the header.
std::size_t data_start(const std::vector<std::uint8_t>& file) {
    std::size_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<std::size_t>(i)];
    return 8 + n;
}

std::uint16_t f16_at(const std::vector<std::uint8_t>& file, std::uint64_t data, const spec::SafetensorsTensor& t,
                     std::uint64_t element) {
    const std::uint64_t at = data + t.data_begin + 2 * element;
    return static_cast<std::uint16_t>(file[at] | (file[at + 1] << 8));
}

std::uint16_t inventory_f16(const SynthModel& m, std::size_t tensor, std::uint64_t element) {
    const auto bytes = encoded(m, tensor, element, 1);
    return static_cast<std::uint16_t>(bytes[0] | (bytes[1] << 8));
}

std::size_t inventory_index(const SynthModel& m, const std::string& name) {
    for (std::size_t i = 0; i < m.inventory.tensors.size(); ++i)
        if (m.inventory.tensors[i].name == name) return i;
    FAIL("no inventory tensor " << name);
    return 0;
}

const spec::SafetensorsTensor& find(const spec::SafetensorsModel& st, const std::string& name) {
    for (const auto& t : st.tensors)
        if (t.name == name) return t;
    FAIL("no tensor " << name);
    return st.tensors.front();
}

}  // namespace

TEST_SUITE("synth::hf_export") {
    TEST_CASE("the folder reads back as exactly the scaled spec, its tensors and its bytes") {
        for (const char* name : {"mixtral-8x7b", "qwen3-235b-a22b", "deepseek-v3", "kimi-k2", "gpt-oss-20b", "glm-4.5",
                                 "deepseek-v2-lite", "llama-3.1-70b", "qwen2moe"}) {
            CAPTURE(name);
            const SynthModel m = export_plan(name);
            CHECK(m.scheme == "fp16");
            const Folder f = build(m);

            // config.json describes the scaled spec: same tensors, same counts.
            auto cfg = spec::read_hf_config(f.config, "synth/config.json");
            REQUIRE_MESSAGE(cfg.ok(), cfg.error().to_string());
            const model::ModelSpec& back = cfg->spec;
            CHECK(back.architecture == m.scaled.architecture);
            CHECK(back.gguf_arch == m.scaled.gguf_arch);
            CHECK(back.native_format == "fp16");
            CHECK(back.num_layers == 4);
            CHECK(back.hidden_size == m.scaled.hidden_size);
            CHECK(back.moe.num_experts == m.scaled.moe.num_experts);
            CHECK(back.moe.first_dense_layers == m.scaled.moe.first_dense_layers);
            CHECK(back.attention.layer_pattern == m.scaled.attention.layer_pattern);
            const model::Inventory inv = model::build_inventory(back);
            REQUIRE(inv.tensors.size() == m.inventory.tensors.size());
            for (std::size_t i = 0; i < inv.tensors.size(); ++i) {
                CHECK(inv.tensors[i].name == m.inventory.tensors[i].name);
                CHECK(inv.tensors[i].shape == m.inventory.tensors[i].shape);
            }
            const model::ParamCounts want = model::count_params(m.scaled, m.inventory);
            const model::ParamCounts got = model::count_params(back, inv);
            CHECK(got.total == want.total);
            CHECK(got.active == want.active);
            CHECK(got.total == m.weights.params);

            // model.safetensors: a valid header, contiguous data that fills the file.
            const spec::SafetensorsModel st = read_folder(f);
            REQUIRE(st.files.size() == 1);
            CHECK(st.tensors.front().data_begin == 0);
            for (std::size_t i = 1; i < st.tensors.size(); ++i)
                CHECK(st.tensors[i].data_begin == st.tensors[i - 1].data_end);
            spec::MemoryByteSource src(f.safetensors);
            auto file = spec::read_safetensors(src);
            REQUIRE(file.ok());
            CHECK((8 + file->header_bytes) % 8 == 0);
            CHECK(file->metadata == std::map<std::string, std::string>{{"format", "pt"}});
            CHECK(8 + file->header_bytes + st.tensors.back().data_end == f.safetensors.size());
            CHECK(st.total.bytes == m.weights.total_bytes);
            CHECK(st.total.elements == m.weights.params);
            REQUIRE(st.by_dtype.size() == 1);
            CHECK(st.by_dtype.begin()->first == spec::SafetensorsDtype::f16);

            // Every inventory tensor is there under a name the reader maps back to it, with the
            // transformers shape.
            std::map<std::string, std::uint64_t> elements;
            for (const auto& t : st.tensors) {
                CAPTURE(t.name);
                auto mapped = model::map_hf_tensor_name(t.name);
                REQUIRE(mapped.has_value());
                CHECK(mapped->part == model::HfPart::values);
                const model::Tensor& first = m.inventory.tensors[inventory_index(m, mapped->targets[0])];
                if (mapped->targets.size() == 1 && mapped->expert >= 0) {
                    CHECK(t.shape == std::vector<std::uint64_t>(first.shape.rend() - 2, first.shape.rend()));
                } else if (mapped->targets.size() == 1 && first.role == model::Role::shared_gate) {
                    CHECK(t.shape == std::vector<std::uint64_t>{1, first.shape[0]});
                } else if (mapped->targets.size() == 1 && first.experts == 1) {
                    CHECK(t.shape == std::vector<std::uint64_t>(first.shape.rbegin(), first.shape.rend()));
                }
                if (mapped->targets.size() == 1) {
                    elements[first.name] += t.elements;
                    continue;
                }
                // A fused tensor holds its inventory tensors whole.
                std::uint64_t sum = 0;
                for (const std::string& target : mapped->targets) {
                    const model::Tensor& part = m.inventory.tensors[inventory_index(m, target)];
                    sum += part.elements();
                    elements[target] += part.elements();
                }
                CHECK(t.elements == sum);
            }
            for (const model::Tensor& t : m.inventory.tensors) {
                CAPTURE(t.name);
                CHECK(elements[t.name] == t.elements());
            }

            // And the checkpoint comparison of `moefit inspect` agrees to the byte.
            auto scheme = engine::parse_scheme("native", back);
            REQUIRE(scheme.ok());
            auto native = engine::compute_weights(inv, back, *scheme);
            REQUIRE(native.ok());
            CHECK(native->total_bytes == m.weights.total_bytes);
            const engine::CheckpointComparison c =
                engine::compare_checkpoint(inv, engine::found_in_safetensors(st), &*native);
            CHECK(c.agrees());
            for (const engine::TensorMismatch& mm : c.mismatches) FAIL_CHECK(mm.name << ": " << mm.message);
            CHECK(c.expected_bytes == m.weights.total_bytes);
            CHECK(c.found_bytes == m.weights.total_bytes);
            CHECK(c.expected_elements == c.found_elements);
        }
    }

    TEST_CASE("transformers names: Mixtral w1/w3/w2, Qwen gate/up/down_proj, DeepSeek MLA, gpt-oss fused experts") {
        const auto names = [](const std::string& model) {
            const SynthModel m = export_plan(model);
            const spec::SafetensorsModel st = read_folder(build(m));
            std::vector<std::string> out;
            for (const auto& t : st.tensors) out.push_back(t.name);
            return out;
        };
        const auto has = [](const std::vector<std::string>& v, const std::string& n) {
            return std::find(v.begin(), v.end(), n) != v.end();
        };
        const auto mixtral = names("mixtral-8x7b");
        CHECK(mixtral.size() == 1 + 4 * (2 + 4 + 1 + 3 * 8) + 2);
        CHECK(has(mixtral, "model.embed_tokens.weight"));
        CHECK(has(mixtral, "model.layers.0.block_sparse_moe.gate.weight"));
        CHECK(has(mixtral, "model.layers.3.block_sparse_moe.experts.7.w1.weight"));
        CHECK(has(mixtral, "model.layers.3.block_sparse_moe.experts.7.w2.weight"));
        CHECK(has(mixtral, "model.layers.3.block_sparse_moe.experts.7.w3.weight"));
        CHECK(has(mixtral, "model.norm.weight"));
        CHECK(has(mixtral, "lm_head.weight"));

        const auto qwen2 = names("qwen2moe");
        CHECK(has(qwen2, "model.layers.0.mlp.gate.weight"));
        CHECK(has(qwen2, "model.layers.0.mlp.experts.59.down_proj.weight"));
        CHECK(has(qwen2, "model.layers.0.mlp.shared_expert.up_proj.weight"));
        CHECK(has(qwen2, "model.layers.0.mlp.shared_expert_gate.weight"));
        CHECK(has(qwen2, "model.layers.0.self_attn.q_proj.bias"));

        const auto qwen3 = names("qwen3-235b-a22b");
        CHECK(has(qwen3, "model.layers.1.self_attn.q_norm.weight"));
        CHECK(has(qwen3, "model.layers.1.mlp.experts.127.gate_proj.weight"));

        const auto ds = names("deepseek-v3");
        CHECK(has(ds, "model.layers.0.mlp.gate_proj.weight"));  // the first_k_dense_replace layer
        CHECK_FALSE(has(ds, "model.layers.0.mlp.gate.weight"));
        CHECK(has(ds, "model.layers.1.mlp.gate.e_score_correction_bias"));
        CHECK(has(ds, "model.layers.1.mlp.shared_experts.down_proj.weight"));
        for (const char* n :
             {"q_a_proj", "q_a_layernorm", "q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"})
            CHECK(has(ds, std::string("model.layers.2.self_attn.") + n + ".weight"));

        const auto oss = names("gpt-oss-20b");
        for (const char* n : {"self_attn.sinks", "mlp.router.weight", "mlp.router.bias", "mlp.experts.gate_up_proj",
                              "mlp.experts.gate_up_proj_bias", "mlp.experts.down_proj", "mlp.experts.down_proj_bias"})
            CHECK(has(oss, std::string("model.layers.1.") + n));
    }

    TEST_CASE("hf_names_for lists the names the checkpoint reader maps back to one inventory tensor") {
        CHECK(model::hf_names_for("blk.3.ffn_gate_inp.weight") ==
              std::vector<std::string>{"model.layers.3.mlp.gate.weight", "model.layers.3.mlp.router.weight",
                                       "model.layers.3.feed_forward.router.weight",
                                       "model.layers.3.block_sparse_moe.gate.weight"});
        CHECK(model::hf_names_for("blk.0.ffn_up_exps.weight", 5) ==
              std::vector<std::string>{
                  "model.layers.0.block_sparse_moe.experts.5.w3.weight",
                  "model.layers.0.block_sparse_moe.experts.5.up_proj.weight", "model.layers.0.mlp.experts.5.w3.weight",
                  "model.layers.0.mlp.experts.5.up_proj.weight", "model.layers.0.feed_forward.experts.5.w3.weight",
                  "model.layers.0.feed_forward.experts.5.up_proj.weight"});
        CHECK(model::hf_names_for("blk.1.exp_probs_b.bias") ==
              std::vector<std::string>{"model.layers.1.mlp.gate.e_score_correction_bias"});
        CHECK(model::hf_names_for("output.weight") == std::vector<std::string>{"lm_head.weight"});
        CHECK(model::hf_names_for("blk.1.attn_k_b.weight").empty());  // only inside the fused kv_b_proj
        CHECK(model::hf_names_for("rope_freqs.weight").empty());
    }

    TEST_CASE("the tensors hold the inventory's values where transformers keeps them") {
        SUBCASE("per-expert and plain tensors are slices of the inventory tensor") {
            const SynthModel m = export_plan("mixtral-8x7b");
            const Folder f = build(m);
            const spec::SafetensorsModel st = read_folder(f);
            const std::size_t data = data_start(f.safetensors);
            const std::size_t exps = inventory_index(m, "blk.2.ffn_up_exps.weight");
            const model::Tensor& up = m.inventory.tensors[exps];
            const auto& e5 = find(st, "model.layers.2.block_sparse_moe.experts.5.w3.weight");
            const std::uint64_t per = up.shape[0] * up.shape[1];
            CHECK(std::equal(f.safetensors.begin() + data + e5.data_begin, f.safetensors.begin() + data + e5.data_end,
                             encoded(m, exps, 5 * per, per).begin()));
            const std::size_t q = inventory_index(m, "blk.0.attn_q.weight");
            const auto& hq = find(st, "model.layers.0.self_attn.q_proj.weight");
            CHECK(std::equal(f.safetensors.begin() + data + hq.data_begin, f.safetensors.begin() + data + hq.data_end,
                             encoded(m, q, 0, m.inventory.tensors[q].elements()).begin()));
        }
        SUBCASE("MLA kv_b_proj holds k_b transposed then v_b, per head") {
            const SynthModel m = export_plan("deepseek-v3");
            const Folder f = build(m);
            const spec::SafetensorsModel st = read_folder(f);
            const std::size_t data = data_start(f.safetensors);
            const std::size_t kb = inventory_index(m, "blk.1.attn_k_b.weight");
            const std::size_t vb = inventory_index(m, "blk.1.attn_v_b.weight");
            const auto& a = m.scaled.attention;
            const std::uint64_t nope = a.qk_nope_head_dim, lora = a.kv_lora_rank, v = a.v_head_dim;
            const auto& kv = find(st, "model.layers.1.self_attn.kv_b_proj.weight");
            CHECK(kv.shape == std::vector<std::uint64_t>{a.num_heads * (nope + v), lora});
            const std::uint64_t h = a.num_heads - 1, j = 3, c = lora - 2;
            // Row h * (nope + v) + j, column c: k_b[h][c][j]; row h * (nope + v) + nope + j: v_b[h][j][c].
            CHECK(f16_at(f.safetensors, data, kv, (h * (nope + v) + j) * lora + c) ==
                  inventory_f16(m, kb, (h * lora + c) * nope + j));
            CHECK(f16_at(f.safetensors, data, kv, (h * (nope + v) + nope + j) * lora + c) ==
                  inventory_f16(m, vb, (h * v + j) * lora + c));
        }
        SUBCASE("gpt-oss gate_up_proj interleaves gate and up, down_proj is transposed") {
            const SynthModel m = export_plan("gpt-oss-20b");
            const Folder f = build(m);
            const spec::SafetensorsModel st = read_folder(f);
            const std::size_t data = data_start(f.safetensors);
            const std::size_t gate = inventory_index(m, "blk.1.ffn_gate_exps.weight");
            const std::size_t up = inventory_index(m, "blk.1.ffn_up_exps.weight");
            const std::size_t down = inventory_index(m, "blk.1.ffn_down_exps.weight");
            const std::uint64_t hidden = m.scaled.hidden_size, w = m.scaled.moe.expert_intermediate_size;
            const std::uint64_t experts = m.scaled.moe.num_experts;
            const auto& gu = find(st, "model.layers.1.mlp.experts.gate_up_proj");
            CHECK(gu.shape == std::vector<std::uint64_t>{experts, hidden, 2 * w});
            const std::uint64_t e = experts - 1, r = 5, k = w - 1;
            CHECK(f16_at(f.safetensors, data, gu, ((e * hidden + r) * w + k) * 2) ==
                  inventory_f16(m, gate, (e * w + k) * hidden + r));
            CHECK(f16_at(f.safetensors, data, gu, ((e * hidden + r) * w + k) * 2 + 1) ==
                  inventory_f16(m, up, (e * w + k) * hidden + r));
            const auto& dn = find(st, "model.layers.1.mlp.experts.down_proj");
            CHECK(dn.shape == std::vector<std::uint64_t>{experts, w, hidden});
            CHECK(f16_at(f.safetensors, data, dn, (e * w + k) * hidden + r) ==
                  inventory_f16(m, down, (e * hidden + r) * w + k));
        }
    }

    TEST_CASE("every tensor takes the quant's dtype, norms included, as a transformers checkpoint") {
        for (const auto& [quant, dtype, layout] :
             std::vector<std::tuple<std::string, spec::SafetensorsDtype, std::string>>{
                 {"f32", spec::SafetensorsDtype::f32, "fp32"}, {"bf16", spec::SafetensorsDtype::bf16, "bf16"}}) {
            CAPTURE(quant);
            const SynthModel m = export_plan("qwen3-235b-a22b", quant, 32ull << 20);
            CHECK(m.scheme == layout);
            const Folder f = build(m);
            CHECK(nlohmann::json::parse(f.config)["torch_dtype"] == (quant == "f32" ? "float32" : "bfloat16"));
            const spec::SafetensorsModel st = read_folder(f);
            REQUIRE(st.by_dtype.size() == 1);
            CHECK(st.by_dtype.begin()->first == dtype);
            CHECK(st.total.bytes == m.weights.total_bytes);
        }
    }

    TEST_CASE("a 500 MiB budget in f16 gives a Mixtral just under it") {
        const SynthModel m = export_plan("mixtral-8x7b", "f16", 500ull << 20);
        CHECK(m.weights.total_bytes <= 500ull << 20);
        CHECK(m.weights.total_bytes == 506'030'720);  // 482.6 MiB: the next smaller scale step is over
        CHECK(m.scaled.moe.num_experts == 8);
    }

    TEST_CASE("architectures and quants the export cannot write are errors") {
        SynthOptions o;
        o.format = SynthFormat::safetensors;
        o.quant = "bf16";
        auto next = plan_synth(source_spec("qwen3-next-80b-a3b"), o);
        REQUIRE_FALSE(next.ok());
        CHECK(next.error().kind == ErrorKind::not_found);
        CHECK(next.error().where.key == "architecture");
        CHECK(next.error().message ==
              "synth cannot write Hugging Face architecture \"Qwen3NextForCausalLM\" (it writes: MixtralForCausalLM, "
              "Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, "
              "GptOssForCausalLM, Glm4MoeForCausalLM, LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");
        CHECK(next.error().hint ==
              "did you mean \"Qwen3MoeForCausalLM\", \"Qwen3ForCausalLM\" or \"Qwen2MoeForCausalLM\"?");
        auto scout = plan_synth(source_spec("llama-4-scout"), o);
        REQUIRE_FALSE(scout.ok());
        CHECK(scout.error().where.key == "architecture");

        o.quant = "q8_0";
        auto q8 = plan_synth(source_spec("mixtral-8x7b"), o);
        REQUIRE_FALSE(q8.ok());
        CHECK(q8.error().message == "safetensors stores f32, f16 or bf16, not q8_0");
        CHECK(q8.error().where.key == "quant");
    }

    TEST_CASE("a model the architecture's config.json cannot state is an error, not a different model") {
        model::ModelSpec spec = source_spec("mixtral-8x7b");
        spec.attention.layer_pattern = "SF";  // Mixtral slides on every layer or none
        spec.attention.sliding_window = 4096;
        SynthOptions o;
        o.format = SynthFormat::safetensors;
        o.quant = "bf16";
        o.budget_bytes = 16ull << 20;
        o.num_layers = 4;
        auto m = plan_synth(spec, o);
        REQUIRE_MESSAGE(m.ok(), m.error().to_string());
        auto files = build_safetensors(*m);
        REQUIRE_FALSE(files.ok());
        CHECK(files.error().where.key == "architecture");
        CHECK(files.error().message ==
              "a MixtralForCausalLM config.json cannot describe this model: it reads back as "
              "attention.layer_pattern: \"S\" vs \"SF\" (read vs scaled)");
    }

    TEST_CASE("the manifest lists the folder's files") {
        const SynthModel m = export_plan("gpt-oss-20b");
        auto files = build_safetensors(m);
        REQUIRE(files.ok());
        const auto j = synth_manifest(m, *files);
        CHECK(j["format"] == "safetensors");
        CHECK(j["scheme"] == "fp16");
        REQUIRE(j["files"].size() == 2);
        CHECK(j["files"][1]["name"] == "model.safetensors");
        CHECK(j["files"][1]["bytes"] == (*files)[1].bytes.size());
    }
}
