#include "reference/weights.hpp"

#include <fmt/format.h>

#include "engine/scheme.hpp"
#include "reference/init.hpp"

namespace moefit::reference {

MatrixView WeightTensor::matrix(std::size_t slice) const {
    MatrixView m;
    m.kind = kind;
    m.cols = cols;
    m.rows = rows;
    m.row_bytes = row_bytes();
    m.data = data.get() + slice * rows * m.row_bytes;
    return m;
}

std::vector<MatrixView> ReferenceWeights::matrices() const {
    std::vector<MatrixView> out;
    for (const WeightTensor& t : tensors_) {
        if (t.rows * t.slices <= 1) continue;
        MatrixView m = t.matrix(0);
        m.rows = t.rows * t.slices;
        out.push_back(m);
    }
    return out;
}

std::vector<float> WeightTensor::decode(std::size_t row) const {
    std::vector<float> out(cols);
    decode_row(kind, data.get() + row * row_bytes(), out);
    return out;
}

Result<std::unique_ptr<ReferenceWeights>> ReferenceWeights::create(const model::ModelSpec& spec,
                                                                   const std::string& scheme_text, std::uint64_t seed,
                                                                   ThreadPool& pool) {
    auto w = std::make_unique<ReferenceWeights>();
    w->spec_ = spec;
    w->seed_ = seed;
    w->inventory_ = model::build_inventory(w->spec_);
    MOEFIT_TRY(scheme, engine::parse_scheme(scheme_text, w->spec_));
    MOEFIT_TRY(bytes, engine::compute_weights(w->inventory_, w->spec_, scheme));
    w->engine_ = std::move(bytes);
    w->tensors_.resize(w->inventory_.tensors.size());
    for (std::size_t i = 0; i < w->inventory_.tensors.size(); ++i) {
        const model::Tensor& t = w->inventory_.tensors[i];
        const engine::TensorAssignment& a = w->engine_.tensors[i];
        WeightTensor& wt = w->tensors_[i];
        wt.tensor = &t;
        wt.index = i;
        if (!weight_kind_of(a.format->name, wt.kind))
            return make_error(
                fmt::format("tensor \"{}\" is stored as {}; the reference pass reads f32, f16, bf16, "
                            "q8_0 and q4_0",
                            t.name, a.format->name));
        if (t.shape.size() > 3)
            return make_error(
                fmt::format("tensor \"{}\" has {} dimensions; expected at most 3", t.name, t.shape.size()), {},
                ErrorKind::internal);
        wt.cols = t.shape[0];
        wt.rows = t.shape.size() > 1 ? t.shape[1] : 1;
        wt.slices = t.shape.size() > 2 ? t.shape[2] : 1;
        wt.bytes = a.bytes;
        // The encoding must fill exactly the bytes the engine counts for the tensor.
        if (wt.row_bytes() * wt.rows * wt.slices != wt.bytes)
            return make_error(fmt::format("tensor \"{}\": {} rows of {} bytes do not make the engine's {} bytes",
                                          t.name, wt.rows * wt.slices, wt.row_bytes(), wt.bytes),
                              {}, ErrorKind::internal);
        wt.data = allocate_buffer(wt.bytes);
        w->allocated_ += wt.bytes;
    }
    for (WeightTensor& wt : w->tensors_) {
        const std::size_t rows = wt.rows * wt.slices, rb = wt.row_bytes();
        pool.parallel_for(rows, 16, [&](std::size_t r0, std::size_t r1, std::size_t) {
            std::vector<float> values(wt.cols);
            for (std::size_t r = r0; r < r1; ++r) {
                init_tensor(seed, wt.index, *wt.tensor, static_cast<std::uint64_t>(r) * wt.cols, values);
                encode_row(wt.kind, values, std::span<std::uint8_t>(wt.data.get() + r * rb, rb));
            }
        });
    }
    return w;
}

const WeightTensor* ReferenceWeights::find(const std::string& name) const {
    for (const WeightTensor& t : tensors_)
        if (t.tensor->name == name) return &t;
    return nullptr;
}

const WeightTensor* ReferenceWeights::layer(std::uint64_t layer, const char* suffix) const {
    return find(fmt::format("blk.{}.{}", layer, suffix));
}

}  // namespace moefit::reference
