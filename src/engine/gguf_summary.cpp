#include "engine/gguf_summary.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "engine/format.hpp"
#include "model/inventory.hpp"
#include "model/tensor_names.hpp"
#include "util/checked.hpp"

namespace moefit::engine {
namespace {

constexpr std::string_view kOther = "other";

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

void add(std::vector<TypeBytes>& rows, const std::string& type, const spec::GgufTensor& t) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const TypeBytes& r) { return r.type == type; });
    if (it == rows.end()) it = rows.insert(rows.end(), TypeBytes{type, 0, 0, 0});
    it->tensors += 1;
    it->elements = checked_add(it->elements, t.elements);
    it->bytes = checked_add(it->bytes, *t.bytes);
}

void sort_by_bytes(std::vector<TypeBytes>& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const TypeBytes& a, const TypeBytes& b) { return a.bytes > b.bytes; });
}

std::string kind_of(std::string_view name) {
    if (name.substr(0, 4) == "blk.") {
        const auto dot = name.find('.', 4);
        if (dot != std::string_view::npos) return std::string(name.substr(dot + 1));
    }
    return std::string(name);
}

}  // namespace

spec::GgmlTypeTable ggml_type_table() {
    return [](std::uint32_t id) -> std::optional<spec::GgmlTypeSize> {
        const Format* f = find_format_by_ggml_type(id);
        if (!f || f->layout != Layout::block_rows || f->block_elems == 0) return std::nullopt;
        return spec::GgmlTypeSize{upper(f->name), f->block_elems, f->block_bytes};
    };
}

std::string llamacpp_file_type_name(std::uint64_t file_type) {
    // llama.h `enum llama_ftype`; 4-6 and 33-35 are removed types.
    static constexpr std::pair<std::uint64_t, std::string_view> kNames[] = {
        {0, "F32"},      {1, "F16"},       {2, "Q4_0"},     {3, "Q4_1"},     {7, "Q8_0"},     {8, "Q5_0"},
        {9, "Q5_1"},     {10, "Q2_K"},     {11, "Q3_K_S"},  {12, "Q3_K_M"},  {13, "Q3_K_L"},  {14, "Q4_K_S"},
        {15, "Q4_K_M"},  {16, "Q5_K_S"},   {17, "Q5_K_M"},  {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},
        {21, "Q2_K_S"},  {22, "IQ3_XS"},   {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},  {26, "IQ3_S"},
        {27, "IQ3_M"},   {28, "IQ2_S"},    {29, "IQ2_M"},   {30, "IQ4_XS"},  {31, "IQ1_M"},   {32, "BF16"},
        {36, "TQ1_0"},   {37, "TQ2_0"},    {38, "MXFP4_MOE"}, {39, "NVFP4"},
    };
    for (const auto& [id, name] : kNames)
        if (id == file_type) return std::string(name);
    return {};
}

Result<GgufSummary> summarize_gguf(const spec::GgufModel& model, std::uint64_t main_layers) {
    const spec::GgufHeader& h = model.header;
    const spec::GgmlTypeTable types = ggml_type_table();
    GgufSummary s;
    s.shards = model.shards.size();
    s.tensors = h.tensors.size();
    if (auto ft = spec::get_u64(h, "general.file_type")) {
        s.file_type = llamacpp_file_type_name(*ft);
        if (s.file_type.empty()) s.file_type = fmt::format("file type {}", *ft);
    }

    std::map<int, GgufClassBytes> classes;  // TensorClass index; kTensorClassCount = other
    std::map<std::string, std::size_t> kind_index;
    for (const spec::GgufTensor& t : h.tensors) {
        if (!t.bytes)
            return make_error(fmt::format("tensor \"{}\" was read without its ggml type size", t.name),
                              {h.file, 0, 0, {}, {}}, ErrorKind::internal);
        const auto type = types(t.type);
        const std::string type_name = type ? type->name : fmt::format("type {}", t.type);
        const auto info = model::classify_tensor_name(t.name, main_layers);
        const int cls_index = info ? static_cast<int>(info->cls) : model::kTensorClassCount;
        const std::string cls = info ? std::string(model::to_string(info->cls)) : std::string(kOther);
        if (!info) s.other.push_back(t.name);

        if (info && info->mtp) {
            s.mtp_bytes = checked_add(s.mtp_bytes, *t.bytes);
        } else {
            s.total_bytes = checked_add(s.total_bytes, *t.bytes);
            s.params = checked_add(s.params, t.elements);
        }
        add(s.by_type, type_name, t);
        GgufClassBytes& c = classes[cls_index];
        c.cls = cls;
        c.tensors += 1;
        c.elements = checked_add(c.elements, t.elements);
        c.bytes = checked_add(c.bytes, *t.bytes);
        add(c.types, type_name, t);

        const std::string kind = kind_of(t.name);
        auto [it, inserted] = kind_index.emplace(kind, s.mix.size());
        if (inserted) s.mix.push_back(KindMix{kind, cls, {}});
        add(s.mix[it->second].types, type_name, t);
    }
    sort_by_bytes(s.by_type);
    for (auto& [index, c] : classes) {
        sort_by_bytes(c.types);
        s.by_class.push_back(std::move(c));
    }
    for (KindMix& k : s.mix)
        std::stable_sort(k.types.begin(), k.types.end(),
                         [](const TypeBytes& a, const TypeBytes& b) { return a.tensors > b.tensors; });
    if (s.params > 0) s.bits_per_weight = 8.0 * static_cast<double>(s.total_bytes) / static_cast<double>(s.params);
    return s;
}

}  // namespace moefit::engine
