// The reference model's weights, allocated from the tensor inventory of the scaled spec with the
// bytes engine::compute_weights gives each tensor under a scheme, and filled by reference::init
// then encoded in the tensor's storage format. One accounting core: allocated_bytes() equals
// compute_weights(...).total_bytes by construction, and the tests check it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/weights.hpp"
#include "model/inventory.hpp"
#include "model/spec.hpp"
#include "reference/buffer.hpp"
#include "reference/kernels.hpp"
#include "reference/quant.hpp"
#include "reference/thread_pool.hpp"
#include "util/result.hpp"

namespace moefit::reference {

struct WeightTensor {
    const model::Tensor* tensor = nullptr;
    std::size_t index = 0;  // in the inventory
    WeightKind kind = WeightKind::f32;
    Buffer data;              // allocate_buffer: huge pages where Linux gives them
    std::uint64_t bytes = 0;  // = engine::TensorAssignment::bytes
    std::size_t cols = 0;     // ne0
    std::size_t rows = 0;     // ne1 (1 for vectors)
    std::size_t slices = 1;   // ne2 (stacked experts or heads)

    std::size_t row_bytes() const { return reference::row_bytes(kind, cols); }
    std::uint64_t slice_bytes() const { return bytes / slices; }
    // Slice s as a matrix of `rows` rows.
    MatrixView matrix(std::size_t slice = 0) const;
    // Row r of slice s decoded to floats (vectors: slice 0, row 0).
    std::vector<float> decode(std::size_t row = 0) const;
};

class ReferenceWeights {
public:
    // Allocates and fills the weights of `spec` (an already scaled, validated spec without MTP
    // layers) under `scheme` with values init_tensor(seed, ...). Fails for a scheme the spec
    // rejects, or with the tensor's name when a tensor's format is not one the pass reads
    // (f32, f16, bf16, q8_0, q4_0).
    static Result<std::unique_ptr<ReferenceWeights>> create(const model::ModelSpec& spec, const std::string& scheme,
                                                            std::uint64_t seed, ThreadPool& pool);

    const model::ModelSpec& spec() const { return spec_; }
    const model::Inventory& inventory() const { return inventory_; }
    const engine::WeightBytes& engine_bytes() const { return engine_; }
    const std::vector<WeightTensor>& tensors() const { return tensors_; }
    std::uint64_t allocated_bytes() const { return allocated_; }
    std::uint64_t seed() const { return seed_; }

    // The tensor called `name` ("blk.3.attn_q.weight"), nullptr when the model has none.
    const WeightTensor* find(const std::string& name) const;
    // The tensor "blk.<layer>.<suffix>", nullptr when absent.
    const WeightTensor* layer(std::uint64_t layer, const char* suffix) const;
    // Every tensor of more than one row as one matrix, in allocation order (the slices of a
    // stacked tensor are consecutive rows): what a sweep over all the weights reads.
    std::vector<MatrixView> matrices() const;

private:
    model::ModelSpec spec_;
    model::Inventory inventory_;
    engine::WeightBytes engine_;
    std::vector<WeightTensor> tensors_;
    std::uint64_t allocated_ = 0;
    std::uint64_t seed_ = 0;
};

}  // namespace moefit::reference
