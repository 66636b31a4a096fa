#include "model/accounting.hpp"

#include <algorithm>

#include "util/checked.hpp"

namespace moefit::model {

std::uint64_t ParamCounts::total_in(Convention c) const {
    switch (c) {
        case Convention::all: return total;
        case Convention::no_input_embedding: return total - input_embedding;
        case Convention::no_embeddings: return total - input_embedding - output_head;
    }
    return total;
}

std::uint64_t ParamCounts::active_in(Convention c) const {
    switch (c) {
        case Convention::all: return active;
        case Convention::no_input_embedding: return active - input_embedding;
        case Convention::no_embeddings: return active - input_embedding - output_head;
    }
    return active;
}

std::uint64_t comparable_total(const ParamCounts& c, const Published& p) {
    return c.total_in(p.total_convention) + (p.total_includes_mtp ? c.mtp_total : 0);
}

std::uint64_t comparable_active(const ParamCounts& c, const Published& p) { return c.active_in(p.active_convention); }

std::string describe(Convention c) {
    switch (c) {
        case Convention::all: return "every tensor";
        case Convention::no_input_embedding: return "without the input embedding";
        case Convention::no_embeddings: return "without input embedding and output head";
    }
    return "?";
}

ParamCounts count_params(const ModelSpec& spec, const Inventory& inventory) {
    ParamCounts pc;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> per_layer(inventory.num_layers);  // total, active
    for (const Tensor& t : inventory.tensors) {
        const std::uint64_t n = t.elements();
        std::uint64_t active = n;
        if (t.experts > 1) active = checked_mul(n / t.experts, inventory.experts_per_token);
        ClassCount& cc = pc.by_class[static_cast<int>(t.cls)];
        cc.total = checked_add(cc.total, n);
        cc.active = checked_add(cc.active, active);
        cc.tensors += 1;
        if (t.mtp) {
            pc.mtp_total = checked_add(pc.mtp_total, n);
            pc.mtp_active = checked_add(pc.mtp_active, active);
            continue;
        }
        pc.total = checked_add(pc.total, n);
        pc.active = checked_add(pc.active, active);
        if (t.role == Role::token_embd) pc.input_embedding = checked_add(pc.input_embedding, n);
        if (t.role == Role::output) pc.output_head = checked_add(pc.output_head, n);
        if (t.layer >= 0 && static_cast<std::uint64_t>(t.layer) < per_layer.size()) {
            per_layer[static_cast<std::size_t>(t.layer)].first += n;
            per_layer[static_cast<std::size_t>(t.layer)].second += active;
        } else {
            pc.model_level = checked_add(pc.model_level, n);
        }
    }
    for (std::uint64_t i = 0; i < per_layer.size(); ++i) {
        const std::string kind = layer_kind_label(spec, i);
        auto it = std::find_if(pc.by_layer_kind.begin(), pc.by_layer_kind.end(),
                               [&](const LayerKindCount& k) { return k.kind == kind; });
        if (it == pc.by_layer_kind.end()) {
            pc.by_layer_kind.push_back({kind, 0, 0, 0});
            it = pc.by_layer_kind.end() - 1;
        }
        it->layers += 1;
        it->total = checked_add(it->total, per_layer[i].first);
        it->active = checked_add(it->active, per_layer[i].second);
    }
    return pc;
}

}  // namespace moefit::model
