#include <doctest/doctest.h>

#include <set>

#include "spec/model_schema.hpp"
#include "spec/model_toml.hpp"
#include "text_helpers.hpp"

using moefit::test::replace_once;

using namespace moefit;

namespace {

const char* kMinimal = R"([model]
id = "tiny"
name = "Tiny"

[dims]
vocab_size = 1000
hidden_size = 64
num_layers = 4

[attention]
kind = "gqa"
num_heads = 4
num_kv_heads = 2

[moe]
num_experts = 8
experts_per_token = 2
expert_intermediate_size = 128
)";

std::string toml_error_of(const std::string& text) {
    auto r = spec::read_model_toml(text, "input.toml");
    REQUIRE_FALSE(r.ok());
    std::string out = r.error().to_string();
    if (!r.error().hint.empty()) out += " | " + r.error().hint;
    return out;
}

}  // namespace

TEST_SUITE("spec::model_toml") {
    TEST_CASE("a minimal spec parses and derived defaults are filled in") {
        auto r = spec::read_model_toml(kMinimal, "input.toml");
        REQUIRE(r.ok());
        CHECK(r->id == "tiny");
        CHECK(r->attention.head_dim == 16);    // hidden_size / num_heads
        CHECK(r->attention.v_head_dim == 16);  // = head_dim
        CHECK(r->attention.layer_pattern == "F");
        CHECK(r->native_format == "bf16");
        CHECK(r->origin == "input.toml");
        CHECK(r->layer_is_moe(0));
    }

    TEST_CASE("a missing required key names the key and the line of its table") {
        CHECK(toml_error_of(replace_once(kMinimal, "hidden_size = 64\n", "")) ==
              "input.toml:5: dims.hidden_size: missing required key (integer: model width (d_model))");
    }

    TEST_CASE("an unknown key is reported at its line with a suggestion") {
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layer = 4")) ==
              "input.toml:8:1: dims.num_layer: unknown key | did you mean \"dims.num_layers\"?");
    }

    TEST_CASE("an unknown table is reported with a suggestion") {
        CHECK(toml_error_of(std::string(kMinimal) + "\n[attentoin]\nx = 1\n") ==
              "input.toml:20:2: attentoin: unknown table [attentoin] | did you mean \"attention\"?");
    }

    TEST_CASE("wrong types, negatives, NaN and out-of-range values say what was expected") {
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layers = \"four\"")) ==
              "input.toml:8:14: dims.num_layers: expected an integer from 1 to 10000, found the string \"four\"");
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layers = -4")) ==
              "input.toml:8:14: dims.num_layers: expected an integer from 1 to 10000, found -4");
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layers = nan")) ==
              "input.toml:8:14: dims.num_layers: expected an integer from 1 to 10000, found nan");
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layers = 0")) ==
              "input.toml:8:14: dims.num_layers: expected an integer from 1 to 10000, found 0");
        CHECK(toml_error_of(replace_once(kMinimal, "num_layers = 4", "num_layers = 2.5")) ==
              "input.toml:8:14: dims.num_layers: expected an integer from 1 to 10000, found 2.5");
    }

    TEST_CASE("an enum value that is close to a real one gets a suggestion") {
        CHECK(toml_error_of(replace_once(kMinimal, "kind = \"gqa\"", "kind = \"mal\"")) ==
              "input.toml:11:8: attention.kind: expected one of gqa, mla, found \"mal\" | did you mean \"mla\"?");
    }

    TEST_CASE("inconsistent specs are rejected at the line of the offending key") {
        CHECK(toml_error_of(replace_once(kMinimal, "experts_per_token = 2", "experts_per_token = 9")) ==
              "input.toml:17:21: moe.experts_per_token: expected at most num_experts (8), found 9");
        CHECK(toml_error_of(replace_once(kMinimal, "num_kv_heads = 2", "num_kv_heads = 3")) ==
              "input.toml:13:16: attention.num_kv_heads: num_heads (4) must be a multiple of num_kv_heads (3)");
        CHECK(toml_error_of(replace_once(kMinimal, "kind = \"gqa\"", "kind = \"mla\"")) ==
              "input.toml:10: attention.kv_lora_rank: MLA needs kv_lora_rank > 0");
        CHECK(toml_error_of(std::string(kMinimal) + "first_dense_layers = 2\n") ==
              "input.toml:5: dims.intermediate_size: the model has dense FFN layers (first_dense_layers / "
              "layer_freq) but intermediate_size is 0");
    }

    TEST_CASE("invalid TOML syntax is reported with line and column") {
        const std::string err = toml_error_of("[model\nid = 1\n");
        CHECK(err.rfind("input.toml:1:", 0) == 0);
        CHECK(err.find("invalid TOML") != std::string::npos);
    }

    TEST_CASE("every schema key has a doc, a default text and a unique path") {
        std::set<std::string> paths;
        for (const spec::KeySpec& k : spec::model_keys()) {
            CHECK_FALSE(k.doc.empty());
            CHECK_FALSE(k.default_text.empty());
            CHECK(paths.insert(k.path()).second);
            CHECK(k.min <= k.max);
        }
        CHECK(paths.size() > 50);
    }
}
