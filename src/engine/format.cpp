#include "engine/format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/checked.hpp"

namespace moefit::engine {
namespace {

char fold(char c) {
    if (c == '-') return '_';
    if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
    return c;
}

// Table names are stored lowercase with '_', so only the user's spelling needs folding.
bool matches(std::string_view input, std::string_view name) {
    if (name.empty() || input.size() != name.size()) return false;
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (fold(input[i]) != name[i]) return false;
    }
    return true;
}

// Bytes of one [in, out] matrix; for block_rows the caller has checked that the block divides
// `in`. Every group count is a ceiling: checkpoints pad a partial last group rather than drop it.
std::uint64_t slice_bytes(const Format& f, std::uint64_t in, std::uint64_t out) {
    const std::uint64_t n = checked_mul(in, out);
    const std::uint64_t g = f.group;
    switch (f.layout) {
    case Layout::block_rows:  // (ne0 / blck) * type_size per row (S2)
        return checked_mul(out, in / f.block_elems, f.block_bytes);
    // The three scale_per_* layouts are fp8 / int8: one byte per element.
    case Layout::scale_per_row:  // fp32 scale per output row (S31)
        return checked_add(n, checked_mul(4, out));
    case Layout::scale_per_slice:  // fp32 weight_scale [1] (S31)
        return checked_add(n, 4);
    case Layout::scale_per_tile:  // fp32 weight_scale_inv [ceil(out/g), ceil(in/g)] (S25)
        return checked_add(n, checked_mul(4, ceil_div(out, g), ceil_div(in, g)));
    case Layout::gptq: {  // qweight int32 [in/8, out], scales fp16 [in/g, out],
                          // qzeros int32 [in/g, out/8], g_idx int32 [in] (S29)
        const std::uint64_t groups = ceil_div(in, g);
        std::uint64_t bytes = checked_mul(4, ceil_div(in, 8), out);
        bytes = checked_add(bytes, checked_mul(2, groups, out));
        bytes = checked_add(bytes, checked_mul(4, groups, ceil_div(out, 8)));
        return checked_add(bytes, checked_mul(4, in));
    }
    case Layout::awq: {  // qweight int32 [in, out/8], scales fp16 [in/g, out],
                         // qzeros int32 [in/g, out/8] (S29)
        const std::uint64_t groups = ceil_div(in, g);
        std::uint64_t bytes = checked_mul(4, in, ceil_div(out, 8));
        bytes = checked_add(bytes, checked_mul(2, groups, out));
        return checked_add(bytes, checked_mul(4, groups, ceil_div(out, 8)));
    }
    case Layout::nf4:  // bitsandbytes flattens the matrix: packed nibbles + fp32 absmax per 64
        return checked_add(ceil_div(n, 2), checked_mul(4, ceil_div(n, g)));
    case Layout::nf4_double: {  // uint8 absmax per 64 + fp32 per 256 absmax (S28); the
                                // per-tensor code tables and offset (quant state) are not counted
        const std::uint64_t absmax = ceil_div(n, g);
        return checked_add(checked_add(ceil_div(n, 2), absmax), checked_mul(4, ceil_div(absmax, 256)));
    }
    case Layout::nvfp4_global:  // uint8 [out, in/2], fp8 weight_scale [out, in/16],
                                // fp32 global scale [1]; the activation input_scale is not a weight
        return checked_add(checked_add(checked_mul(out, ceil_div(in, 2)),
                                       checked_mul(out, ceil_div(in, g))),
                           4);
    case Layout::packed_int4:  // weight_packed int32 [out, ceil(in/8)], weight_scale bf16
                               // [out, ceil(in/g)], weight_shape int64 [2] (torch default dtype)
        return checked_add(checked_add(checked_mul(4, out, ceil_div(in, 8)),
                                       checked_mul(2, out, ceil_div(in, g))),
                           16);
    }
    __builtin_unreachable();  // every Layout is handled above; -Wswitch checks it
}

}  // namespace

const Format* find_format(std::string_view name) {
    for (const Format& f : all_formats()) {
        if (matches(name, f.name)) return &f;
        for (std::string_view alias : f.aliases) {
            if (matches(name, alias)) return &f;
        }
    }
    return nullptr;
}

const Format* find_format_by_ggml_type(std::uint32_t type) {
    for (const Format& f : all_formats()) {
        if (f.ggml_type == type) return &f;
    }
    return nullptr;
}

std::vector<std::string> format_names() {
    std::vector<std::string> names;
    names.reserve(all_formats().size());
    for (const Format& f : all_formats()) names.emplace_back(f.name);
    return names;
}

std::string_view family_name(Family family) {
    switch (family) {
    case Family::ggml: return "ggml";
    case Family::floating: return "float";
    case Family::fp8: return "fp8";
    case Family::integer: return "int";
    case Family::gptq: return "gptq";
    case Family::awq: return "awq";
    case Family::bnb: return "bnb";
    case Family::mx: return "mx";
    case Family::nv: return "nv";
    }
    return "unknown";
}

double bits_per_weight(const Format& f) {
    return 8.0 * static_cast<double>(f.block_bytes) / static_cast<double>(f.block_elems);
}

Result<std::uint64_t> tensor_bytes(const Format& f, std::span<const std::uint64_t> shape) {
    if (shape.empty()) {
        return make_error("tensor shape is empty; expected at least one dimension");
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == 0) {
            return make_error(fmt::format("tensor shape [{}] has a zero dimension (ne[{}])",
                                          fmt::join(shape, ", "), i));
        }
    }
    const std::uint64_t in = shape[0];
    const std::uint64_t out = shape.size() > 1 ? shape[1] : 1;  // a 1-D tensor is one row
    std::uint64_t slices = 1;
    for (std::size_t i = 2; i < shape.size(); ++i) slices = checked_mul(slices, shape[i]);

    if (f.layout == Layout::block_rows && in % f.block_elems != 0) {
        Error e = make_error(fmt::format(
            "{} needs a row length that is a multiple of its {}-element block; "
            "got ne0 = {} in shape [{}]",
            f.name, f.block_elems, in, fmt::join(shape, ", ")));
        e.hint = "llama.cpp quantizes such rows with a fallback type whose block divides the row";
        return e;
    }
    return checked_mul(slices, slice_bytes(f, in, out));
}

}  // namespace moefit::engine
