#include "engine/checkpoint_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/gguf_summary.hpp"
#include "util/checked.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::engine {
namespace {

constexpr std::string_view kUnknownClass = "not in our description";

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : " + ") + n;
    return out;
}

void add_dtype(std::vector<DtypeBytes>& rows, const std::string& dtype, std::uint64_t stored_elements,
               std::uint64_t bytes) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const DtypeBytes& r) { return r.dtype == dtype; });
    if (it == rows.end()) it = rows.insert(rows.end(), DtypeBytes{dtype, 0, 0, 0});
    it->tensors += 1;
    it->elements = checked_add(it->elements, stored_elements);
    it->bytes = checked_add(it->bytes, bytes);
}

// Expected and found sums of one inventory tensor or fused group.
struct Group {
    int cls = 0;
    std::uint64_t expected_elements = 0, expected_bytes = 0;
    std::uint64_t found_elements = 0, found_bytes = 0;
    bool found = false;
};

}  // namespace

std::vector<FoundTensor> found_in_safetensors(const spec::SafetensorsModel& model) {
    std::set<std::string_view> names;
    for (const auto& t : model.tensors) names.insert(t.name);
    std::vector<FoundTensor> out;
    out.reserve(model.tensors.size());
    for (const auto& t : model.tensors) {
        FoundTensor f;
        f.name = t.name;
        f.dtype = std::string(spec::safetensors_dtype_info(t.dtype).name);
        f.bytes = t.bytes;
        if (auto mapped = model::map_hf_tensor_name(t.name)) {
            f.targets = std::move(mapped->targets);
            f.part = mapped->part;
        }
        // bitsandbytes 4-bit and NVFP4 store two weights per uint8 under the plain ".weight" name;
        // their state / second-level scale tensors give them away.
        if (f.part == model::HfPart::values && t.dtype == spec::SafetensorsDtype::u8 && ends_with(t.name, ".weight")) {
            const std::string stem = t.name.substr(0, t.name.size() - 7);
            if (names.count(t.name + ".quant_state.bitsandbytes__nf4") ||
                names.count(t.name + ".quant_state.bitsandbytes__fp4") || names.count(stem + ".weight_scale_2"))
                f.part = model::HfPart::packed4;
        }
        switch (f.part) {
            case model::HfPart::values:
                f.elements = t.elements;
                break;
            case model::HfPart::packed4:
                f.elements = checked_mul(t.bytes, 2);
                break;
            case model::HfPart::aux:
                f.elements = 0;
                break;
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::vector<FoundTensor> found_in_gguf(const spec::GgufHeader& header) {
    const spec::GgmlTypeTable types = ggml_type_table();
    std::vector<FoundTensor> out;
    out.reserve(header.tensors.size());
    for (const auto& t : header.tensors) {
        FoundTensor f;
        f.name = t.name;
        const auto type = types(t.type);
        f.dtype = type ? type->name : fmt::format("type {}", t.type);
        f.elements = t.elements;
        f.bytes = t.bytes.value_or(0);
        if (ends_with(t.name, ".attn_kv_b.weight")) {  // older GGUFs keep MLA's kv_b unsplit
            const std::string blk = t.name.substr(0, t.name.size() - 17);
            f.targets = {blk + ".attn_k_b.weight", blk + ".attn_v_b.weight"};
        } else {
            f.targets = {t.name};
        }
        out.push_back(std::move(f));
    }
    return out;
}

CheckpointComparison compare_checkpoint(const model::Inventory& inventory, const std::vector<FoundTensor>& found,
                                        const WeightBytes* expected) {
    CheckpointComparison c;
    c.bytes_compared = expected != nullptr;
    c.checkpoint_tensors = found.size();

    // Inventory tensors that the checkpoint stores fused are compared as one group.
    std::unordered_map<std::string, std::string> group_of;
    for (const FoundTensor& f : found)
        if (f.targets.size() > 1)
            for (const auto& t : f.targets) group_of.emplace(t, join(f.targets));
    auto key_of = [&](const std::string& name) {
        auto it = group_of.find(name);
        return it == group_of.end() ? name : it->second;
    };

    std::vector<std::string> order;  // group keys in inventory order
    std::unordered_map<std::string, Group> groups;
    for (std::size_t i = 0; i < inventory.tensors.size(); ++i) {
        const model::Tensor& t = inventory.tensors[i];
        const std::string key = key_of(t.name);
        auto [it, inserted] = groups.emplace(key, Group{});
        if (inserted) {
            order.push_back(key);
            it->second.cls = static_cast<int>(t.cls);
        }
        it->second.expected_elements = checked_add(it->second.expected_elements, t.elements());
        if (expected) it->second.expected_bytes = checked_add(it->second.expected_bytes, expected->tensors[i].bytes);
    }

    std::vector<ClassComparison> classes(model::kTensorClassCount + 1);
    for (int i = 0; i < model::kTensorClassCount; ++i)
        classes[static_cast<std::size_t>(i)].cls = std::string(model::to_string(static_cast<model::TensorClass>(i)));
    ClassComparison& unknown = classes.back();
    unknown.cls = std::string(kUnknownClass);

    std::vector<TensorMismatch> unexpected;
    for (const FoundTensor& f : found) {
        c.found_bytes = checked_add(c.found_bytes, f.bytes);
        const std::uint64_t stored = f.part == model::HfPart::packed4 ? f.elements / 2 : f.elements;
        auto it = f.targets.empty() ? groups.end()
                                    : groups.find(f.targets.size() > 1 ? join(f.targets) : key_of(f.targets[0]));
        if (it == groups.end()) {
            unknown.found_bytes = checked_add(unknown.found_bytes, f.bytes);
            unknown.found_elements = checked_add(unknown.found_elements, f.elements);
            add_dtype(unknown.dtypes, f.dtype, stored, f.bytes);
            TensorMismatch m{MismatchKind::unexpected, f.name, 0, f.elements, 0, f.bytes, {}};
            m.message = f.targets.empty() ? "not in our description (unknown tensor name)"
                                          : "not in our description (would be " + join(f.targets) + ")";
            unexpected.push_back(std::move(m));
            continue;
        }
        Group& g = it->second;
        g.found = true;
        g.found_elements = checked_add(g.found_elements, f.elements);
        g.found_bytes = checked_add(g.found_bytes, f.bytes);
        c.found_elements = checked_add(c.found_elements, f.elements);
        ClassComparison& cc = classes[static_cast<std::size_t>(g.cls)];
        cc.found_elements = checked_add(cc.found_elements, f.elements);
        cc.found_bytes = checked_add(cc.found_bytes, f.bytes);
        add_dtype(cc.dtypes, f.dtype, stored, f.bytes);
    }

    for (const std::string& key : order) {
        const Group& g = groups[key];
        ClassComparison& cc = classes[static_cast<std::size_t>(g.cls)];
        cc.expected_elements = checked_add(cc.expected_elements, g.expected_elements);
        cc.expected_bytes = checked_add(cc.expected_bytes, g.expected_bytes);
        c.expected_elements = checked_add(c.expected_elements, g.expected_elements);
        c.expected_bytes = checked_add(c.expected_bytes, g.expected_bytes);
        TensorMismatch m{MismatchKind::missing, key, g.expected_elements, g.found_elements, g.expected_bytes,
                         g.found_bytes,         {}};
        if (!g.found) {
            m.message =
                fmt::format("missing from the checkpoint (expected {} weights)", format_grouped(g.expected_elements));
        } else if (g.found_elements != g.expected_elements) {
            m.kind = MismatchKind::elements;
            m.message = fmt::format("expected {} weights, found {}", format_grouped(g.expected_elements),
                                    format_grouped(g.found_elements));
        } else if (expected && g.found_bytes != g.expected_bytes) {
            m.kind = MismatchKind::bytes;
            m.message = fmt::format("expected {} bytes in the native format, found {}",
                                    format_grouped(g.expected_bytes), format_grouped(g.found_bytes));
        } else {
            ++c.matched;
            continue;
        }
        c.mismatches.push_back(std::move(m));
    }
    c.mismatches.insert(c.mismatches.end(), unexpected.begin(), unexpected.end());
    for (ClassComparison& cc : classes) {
        if (cc.expected_elements == 0 && cc.found_bytes == 0 && cc.dtypes.empty()) continue;
        std::stable_sort(cc.dtypes.begin(), cc.dtypes.end(),
                         [](const DtypeBytes& a, const DtypeBytes& b) { return a.bytes > b.bytes; });
        c.by_class.push_back(std::move(cc));
    }
    return c;
}

}  // namespace moefit::engine
