#include "engine/fit_breakdown.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/checked.hpp"
#include "util/strings.hpp"
#include "util/units.hpp"

namespace moefit::engine {
namespace {}  // namespace

void add_weight_lines(const model::Inventory& inv, const WeightBytes& w, const PlacementResult& p,
                      std::vector<MemoryLine>& out) {
    for (int c = 0; c < model::kTensorClassCount; ++c) {
        const auto cls = static_cast<model::TensorClass>(c);
        std::uint64_t on_devices = 0;
        for (const auto& row : p.stages) on_devices = checked_add(on_devices, checked_mul(row.weights[c], row.count));
        if (cls == model::TensorClass::mtp || on_devices == 0) continue;
        // Which formats this class ended up in, in first-seen order ("q4_k, q6_k").
        std::string formats;
        for (std::size_t i = 0; i < w.tensors.size(); ++i) {
            if (inv.tensors[i].cls != cls || inv.tensors[i].mtp) continue;
            const std::string name(w.tensors[i].format->name);
            if (("," + formats + ",").find("," + name + ",") == std::string::npos)
                formats += (formats.empty() ? "" : ",") + name;
        }
        for (auto& ch : formats)
            if (ch == ',') ch = '/';
        const std::uint64_t host = p.host ? p.host->weights[c] : 0;
        if (host != 0) formats += "; " + gib(host) + " more in host RAM";
        if (on_devices > w.of(cls) && host == 0)
            formats += "; " + gib(on_devices - w.of(cls)) + " of replicas and rounding";
        out.push_back({"weights: " + std::string(model::to_string(cls)), on_devices, formats});
    }
}

void add_kv_lines(const KvResult& kv, std::uint64_t ranks, std::vector<MemoryLine>& out) {
    std::uint64_t state = 0;
    for (const auto& p : kv.parts)
        if (p.kind == KvPartKind::linear_state) state = checked_add(state, p.bytes);
    const std::uint64_t per_rank_cache = kv.total_bytes - state;
    const std::string rank_note = ranks > 1 ? fmt::format(" on each of {} ranks", ranks) : "";
    if (per_rank_cache != 0)
        out.push_back({"KV cache", checked_mul(per_rank_cache, ranks),
                       fmt::format("{} cells, {} per token{}", kv.context_cells, gib(kv.bytes_per_token), rank_note)});
    if (state != 0)
        out.push_back(
            {"recurrent state", checked_mul(state, ranks),
             fmt::format("{} per sequence, independent of context{}", gib(kv.state_bytes_per_sequence), rank_note)});
}

// One line per overhead item, summed over the devices that have it.
void add_overhead_lines(const PlacementResult& p, std::vector<MemoryLine>& out) {
    struct Sum {
        std::uint64_t bytes = 0, devices = 0, each = 0;
        bool uniform = true;
        std::string source, where;
    };
    std::vector<std::pair<std::string, Sum>> sums;
    std::uint64_t all_devices = 0;
    for (std::size_t st = 0; st < p.stages.size(); ++st) {
        all_devices += p.stages[st].count;
        for (const auto& item : p.overhead[st].items) {
            if (item.bytes == 0) continue;
            auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == item.name; });
            if (it == sums.end()) {
                sums.push_back({item.name, Sum{0, 0, item.bytes, true, item.source, p.stages[st].name}});
                it = sums.end() - 1;
            }
            it->second.bytes = checked_add(it->second.bytes, checked_mul(item.bytes, p.stages[st].count));
            it->second.devices += p.stages[st].count;
            it->second.uniform = it->second.uniform && it->second.each == item.bytes;
        }
    }
    for (const auto& [name, sum] : sums) {
        std::string detail = sum.source;
        if (sum.devices > 1 && sum.uniform)
            detail = fmt::format("{} x {}; {}", sum.devices, gib(sum.each), sum.source);
        else if (sum.devices > 1)
            detail = fmt::format("over {} devices; {}", sum.devices, sum.source);
        else if (all_devices > 1)
            detail = fmt::format("{} only; {}", sum.where, sum.source);
        out.push_back({name, sum.bytes, detail});
    }
}

}  // namespace moefit::engine
