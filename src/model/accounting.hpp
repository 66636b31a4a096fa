// Parameter accounting from the tensor inventory: total and active counts, per tensor class and
// per layer kind. "Active" is what one token touches: every tensor except routed experts, plus
// experts_per_token / num_experts of each routed-expert stack. The input embedding is a row
// lookup, yet vendors disagree on whether to count it, so every convention can be read off.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/inventory.hpp"
#include "model/spec.hpp"

namespace moefit::model {

struct ClassCount {
    std::uint64_t total = 0;
    std::uint64_t active = 0;
    std::uint64_t tensors = 0;
};

struct LayerKindCount {
    std::string kind;                    // layer_kind_label()
    std::uint64_t layers = 0;            // how many main-model blocks are of this kind
    std::uint64_t total = 0;             // parameters in all those blocks
    std::uint64_t active = 0;
};

struct ParamCounts {
    // Main model (MTP apart), every tensor.
    std::uint64_t total = 0;
    std::uint64_t active = 0;
    std::uint64_t input_embedding = 0;   // token_embd
    std::uint64_t output_head = 0;       // output.weight; 0 when tied to the embedding
    std::uint64_t mtp_total = 0;         // MTP module (its own tensors; embedding/head are shared)
    std::uint64_t mtp_active = 0;
    std::array<ClassCount, kTensorClassCount> by_class{};  // indexed by TensorClass, MTP included
    std::vector<LayerKindCount> by_layer_kind;             // main-model blocks, first-seen order
    std::uint64_t model_level = 0;       // embedding, output head and final norm (outside blocks)

    const ClassCount& of(TensorClass c) const { return by_class[static_cast<int>(c)]; }
    // The main-model total / active as a vendor using `c` would count it.
    std::uint64_t total_in(Convention c) const;
    std::uint64_t active_in(Convention c) const;
};

// Our count as the vendor's published total / active figure counts it (convention, MTP).
std::uint64_t comparable_total(const ParamCounts& c, const Published& p);
std::uint64_t comparable_active(const ParamCounts& c, const Published& p);

// Counts the inventory of `spec` (which must be the spec the inventory was built from).
ParamCounts count_params(const ModelSpec& spec, const Inventory& inventory);

// "every tensor", "without the input embedding", "without input embedding and output head".
std::string describe(Convention c);

}  // namespace moefit::model
