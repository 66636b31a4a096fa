#include "spec/safetensors_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "util/checked.hpp"
#include "util/spelling.hpp"
#include "util/strings.hpp"

namespace moefit::spec {

namespace {

using json = nlohmann::json;

constexpr SafetensorsDtypeInfo kDtypes[] = {
    {SafetensorsDtype::boolean, "BOOL", 8},
    {SafetensorsDtype::u8, "U8", 8},
    {SafetensorsDtype::i8, "I8", 8},
    {SafetensorsDtype::f8_e5m2, "F8_E5M2", 8},
    {SafetensorsDtype::f8_e4m3, "F8_E4M3", 8},
    {SafetensorsDtype::f8_e8m0, "F8_E8M0", 8},
    {SafetensorsDtype::f8_e4m3fnuz, "F8_E4M3FNUZ", 8},
    {SafetensorsDtype::f8_e5m2fnuz, "F8_E5M2FNUZ", 8},
    {SafetensorsDtype::i16, "I16", 16},
    {SafetensorsDtype::u16, "U16", 16},
    {SafetensorsDtype::f16, "F16", 16},
    {SafetensorsDtype::bf16, "BF16", 16},
    {SafetensorsDtype::i32, "I32", 32},
    {SafetensorsDtype::u32, "U32", 32},
    {SafetensorsDtype::f32, "F32", 32},
    {SafetensorsDtype::c64, "C64", 64},
    {SafetensorsDtype::f64, "F64", 64},
    {SafetensorsDtype::i64, "I64", 64},
    {SafetensorsDtype::u64, "U64", 64},
    {SafetensorsDtype::f4, "F4", 4},
    {SafetensorsDtype::f6_e2m3, "F6_E2M3", 6},
    {SafetensorsDtype::f6_e3m2, "F6_E3M2", 6},
};

constexpr std::string_view kIndexName = "model.safetensors.index.json";

Error error_in(const std::string& file, std::string message, std::string key = {}) {
    return make_error(std::move(message), {file, 0, 0, {}, std::move(key)});
}

// nlohmann's parse error text without its "[json.exception...] parse error at line 1, column 7: "
// prefix and the "; last read: '...'" echo of the input.
std::string describe_parse_error(std::string what) {
    if (auto at = what.find("column "); at != std::string::npos) {
        if (auto colon = what.find(": ", at); colon != std::string::npos) what.erase(0, colon + 2);
    }
    if (auto at = what.find("; last read: '"); at != std::string::npos) {
        auto end = what.find("'; ", at + 14);
        what.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    }
    return what;
}

// Records where the first syntax error is; every other event is accepted and dropped.
struct ErrorLocator : json::json_sax_t {
    std::size_t position = 0;
    std::string message;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
        position = pos;
        message = describe_parse_error(ex.what());
        return false;
    }
};

// Parses `text`, which starts at byte `base` of `file`, without exceptions. A syntax error is
// reported at its byte offset in the file; a document over the value budget is rejected.
Result<json> parse_json(const std::string& text, const std::string& file, std::uint64_t base, std::string_view what) {
    std::uint64_t values = 0;
    const json::parser_callback_t budget = [&](int, json::parse_event_t, json&) {
        return ++values <= kSafetensorsMaxJsonValues;  // false drops the value, so memory stays bounded
    };
    json doc = json::parse(text, budget, /*allow_exceptions=*/false);
    if (values > kSafetensorsMaxJsonValues)
        return error_in(file, fmt::format("{} has more than {} JSON values", what, kSafetensorsMaxJsonValues));
    if (!doc.is_discarded()) return doc;
    ErrorLocator locator;
    json::sax_parse(text, &locator);
    Location where{file, 0, 0, base + (locator.position > 0 ? locator.position - 1 : 0), {}};
    return make_error(fmt::format("invalid JSON in {}: {}", what, locator.message), where);
}

// A JSON value for a message, cut short so a hostile header cannot flood the terminal.
std::string short_dump(const json& v) {
    std::string text = v.dump();
    return text.size() <= 40 ? text : text.substr(0, 37) + "...";
}

Result<std::uint64_t> as_u64(const json& v, const std::string& file, const std::string& key, std::string_view what) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    return error_in(file, fmt::format("{} must be a non-negative integer, found {}", what, short_dump(v)), key);
}

std::string dtype_suggestion(std::string_view name) {
    std::vector<std::string> names;
    for (const auto& d : kDtypes) names.emplace_back(d.name);
    return did_you_mean(name, names);
}

Result<SafetensorsTensor> parse_entry(const std::string& file, const std::string& name, const json& entry,
                                      std::uint64_t data_size) {
    SafetensorsTensor t;
    t.name = name;
    t.file = file;
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
        return error_in(file, "expected an object with \"dtype\", \"shape\" and \"data_offsets\"", name);
    const json& dtype = entry["dtype"];
    if (!dtype.is_string()) return error_in(file, "dtype must be a string, found " + short_dump(dtype), name);
    const auto parsed = parse_safetensors_dtype(dtype.get_ref<const std::string&>());
    if (!parsed) {
        Error e = error_in(file, fmt::format("unknown dtype {}", short_dump(dtype)), name);
        e.hint = dtype_suggestion(dtype.get_ref<const std::string&>());
        return e;
    }
    t.dtype = *parsed;
    const json& shape = entry["shape"];
    if (!shape.is_array()) return error_in(file, "shape must be an array, found " + short_dump(shape), name);
    t.elements = 1;
    for (const json& d : shape) {
        MOEFIT_TRY(n, as_u64(d, file, name, "each shape dimension"));
        if (__builtin_mul_overflow(t.elements, n, &t.elements))
            return error_in(file, "the element count overflows 64 bits", name);
        t.shape.push_back(n);
    }
    const json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
        return error_in(file, "data_offsets must be [begin, end], found " + short_dump(offsets), name);
    MOEFIT_TRY(begin, as_u64(offsets[0], file, name, "data_offsets begin"));
    MOEFIT_TRY(end, as_u64(offsets[1], file, name, "data_offsets end"));
    const SafetensorsDtypeInfo& info = safetensors_dtype_info(t.dtype);
    std::uint64_t bits = 0;
    if (__builtin_mul_overflow(t.elements, std::uint64_t{info.bits}, &bits))
        return error_in(file, "the byte size overflows 64 bits", name);
    if (bits % 8 != 0)
        return error_in(
            file, fmt::format("{} elements of {} do not fill a whole number of bytes", t.elements, info.name), name);
    if (end < begin)
        return error_in(file, fmt::format("data_offsets [{}, {}] end before they begin", begin, end), name);
    if (end - begin != bits / 8)
        return error_in(file,
                        fmt::format("data_offsets [{}, {}] hold {} bytes, but shape [{}] of {} needs {}", begin, end,
                                    end - begin, fmt::join(t.shape, ", "), info.name, bits / 8),
                        name);
    if (end > data_size)
        return error_in(file,
                        fmt::format("data_offsets end {} is past the end of the file (the data section holds "
                                    "{} bytes)",
                                    end, data_size),
                        name);
    t.data_begin = begin;
    t.data_end = end;
    t.bytes = end - begin;
    return t;
}

// Byte offsets (in `text`) of the top-level keys of a JSON object that already parsed. Fails on
// a key that appears twice: nlohmann keeps only the last, which would hide a tensor.
Result<std::unordered_map<std::string, std::uint64_t>> top_level_keys(const std::string& text, const std::string& file,
                                                                      std::uint64_t base) {
    std::unordered_map<std::string, std::uint64_t> out;
    int depth = 0;
    bool expect_key = false;
    // nlohmann ends the input at a NUL byte; the scan stops there too, and after the object.
    for (std::size_t i = 0; i < text.size() && text[i] != '\0'; ++i) {
        const char c = text[i];
        if (c == '"') {
            std::size_t end = i + 1;
            bool escaped = false;
            for (; end < text.size() && (text[end] != '"' || escaped); ++end) escaped = !escaped && text[end] == '\\';
            if (depth == 1 && expect_key) {
                const std::string raw = text.substr(i, end + 1 - i);
                std::string key = raw.substr(1, raw.size() - 2);
                if (raw.find('\\') != std::string::npos) {  // decode escapes as the parser did
                    const json decoded = json::parse(raw, nullptr, /*allow_exceptions=*/false);
                    if (decoded.is_string()) key = decoded.get<std::string>();
                }
                auto [it, inserted] = out.emplace(key, base + i);
                if (!inserted)
                    return make_error(fmt::format("duplicate tensor name (first at byte {})", it->second),
                                      {file, 0, 0, base + i, key});
                expect_key = false;
            }
            i = end;
        } else if (c == '{' || c == '[') {
            expect_key = ++depth == 1 && c == '{';
        } else if (c == '}' || c == ']') {
            if (--depth == 0) break;
        } else if (c == ',' && depth == 1) {
            expect_key = true;
        }
    }
    return out;
}

void add_totals(DtypeTotals& totals, const SafetensorsTensor& t) {
    totals.tensors += 1;
    totals.elements = checked_add(totals.elements, t.elements);
    totals.bytes = checked_add(totals.bytes, t.bytes);
}

Result<std::string> read_text(const FileSystem& fs, const std::string& path, std::uint64_t limit) {
    MOEFIT_TRY(source, fs.open(path));
    if (source->size() > limit)
        return error_in(path, fmt::format("file of {} bytes is over the {} MiB limit", source->size(), limit >> 20));
    std::string text(static_cast<std::size_t>(source->size()), '\0');
    MOEFIT_CHECK(source->read(0, {reinterpret_cast<std::uint8_t*>(text.data()), text.size()}));
    return text;
}

}  // namespace

std::span<const SafetensorsDtypeInfo> safetensors_dtypes() {
    return kDtypes;
}

std::optional<SafetensorsDtype> parse_safetensors_dtype(std::string_view name) {
    for (const auto& d : kDtypes)
        if (d.name == name) return d.dtype;
    return std::nullopt;
}

const SafetensorsDtypeInfo& safetensors_dtype_info(SafetensorsDtype dtype) {
    return kDtypes[static_cast<std::size_t>(dtype)];  // kDtypes is in enum order
}

Result<SafetensorsFile> read_safetensors(ByteSource& source) {
    SafetensorsFile out;
    out.file = source.name();
    out.file_size = source.size();
    ByteCursor cur(source, out.file_size, "the end of the file");
    MOEFIT_TRY(n, cur.read<std::uint64_t>("the header length"));
    if (n > kSafetensorsMaxHeaderBytes)
        return cur.error_at(0, fmt::format("header length {} is over the 100 MiB limit", n));
    if (n > cur.remaining())
        return cur.error_at(
            0, fmt::format("header length {} is larger than the rest of the file ({} bytes)", n, cur.remaining()));
    out.header_bytes = n;
    MOEFIT_TRY(text, cur.read_bytes(n, "the header"));
    MOEFIT_TRY(header, parse_json(text, out.file, 8, "the header"));
    if (!header.is_object()) return cur.error_at(8, "the header is not a JSON object");

    MOEFIT_TRY(key_offsets, top_level_keys(text, out.file, 8));
    // Entry errors point at the entry's key in the file.
    auto at_entry = [&](Error e, const std::string& name) {
        if (!e.where.byte_offset) e.where.byte_offset = key_offsets[name];
        return e;
    };

    const std::uint64_t data_size = out.file_size - 8 - n;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) return at_entry(error_in(out.file, "expected an object of strings", name), name);
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    return at_entry(
                        error_in(out.file, "expected a string, found " + short_dump(value), "__metadata__." + key),
                        name);
                out.metadata.emplace(key, value.get<std::string>());
            }
            continue;
        }
        auto tensor = parse_entry(out.file, name, entry, data_size);
        if (!tensor) return at_entry(tensor.error(), name);
        out.tensors.push_back(std::move(tensor).value());
    }

    std::sort(out.tensors.begin(), out.tensors.end(), [](const auto& a, const auto& b) {
        return std::tie(a.data_begin, a.data_end) < std::tie(b.data_begin, b.data_end);
    });
    const SafetensorsTensor* furthest = nullptr;  // the tensor reaching furthest so far
    for (const SafetensorsTensor& t : out.tensors) {
        if (furthest && t.bytes > 0 && t.data_begin < furthest->data_end)
            return at_entry(error_in(out.file,
                                     fmt::format("data_offsets [{}, {}] overlap \"{}\" at [{}, {}]", t.data_begin,
                                                 t.data_end, furthest->name, furthest->data_begin, furthest->data_end),
                                     t.name),
                            t.name);
        if (!furthest || t.data_end > furthest->data_end) furthest = &t;
    }
    return out;
}

Result<SafetensorsModel> read_safetensors_model(const std::string& path, const FileSystem& fs) {
    SafetensorsModel model;
    std::string dir;
    std::map<std::string, std::string> weight_map;  // tensor -> shard file name
    if (fs.is_directory(path)) {
        dir = path;
        if (fs.is_file(join_path(dir, std::string(kIndexName)))) {
            model.index_file = join_path(dir, std::string(kIndexName));
        } else {
            MOEFIT_TRY(names, fs.list(dir));
            for (const std::string& name : names)
                if (ends_with(name, ".safetensors")) model.files.push_back(join_path(dir, name));
            if (model.files.empty())
                return make_error("no " + std::string(kIndexName) + " and no *.safetensors files in the folder",
                                  {dir, 0, 0, {}, {}}, ErrorKind::io);
        }
    } else if (ends_with(path, ".json")) {
        model.index_file = path;
        dir = std::filesystem::path(path).parent_path().string();
    } else {
        model.files.push_back(path);
    }

    if (!model.index_file.empty()) {
        const std::string& index = model.index_file;
        MOEFIT_TRY(text, read_text(fs, index, kSafetensorsMaxIndexBytes));
        MOEFIT_TRY(doc, parse_json(text, index, 0, "the index"));
        if (!doc.is_object() || !doc.contains("weight_map") || !doc["weight_map"].is_object())
            return error_in(index, "expected an object with a \"weight_map\" object");
        std::map<std::string, std::uint64_t> per_shard;
        for (const auto& [tensor, shard] : doc["weight_map"].items()) {
            if (!shard.is_string())
                return error_in(index, "expected a shard file name, found " + short_dump(shard),
                                "weight_map." + tensor);
            const std::string& name = shard.get_ref<const std::string&>();
            if (name.empty() || name.find_first_of("/\\") != std::string::npos || name == "." || name == "..")
                return error_in(index, fmt::format("shard \"{}\" must be a file name in the model folder", name),
                                "weight_map." + tensor);
            weight_map.emplace(tensor, name);
            ++per_shard[name];
        }
        for (const auto& [name, count] : per_shard) {
            const std::string file = join_path(dir, name);
            if (!fs.is_file(file)) {
                Error e = error_in(
                    index, fmt::format("shard \"{}\" is missing (the index maps {} tensors to it)", name, count));
                e.kind = ErrorKind::io;
                return e;
            }
            model.files.push_back(file);
        }
    }

    std::unordered_map<std::string, std::string> owner;  // tensor -> shard path
    for (const std::string& file : model.files) {
        MOEFIT_TRY(source, fs.open(file));
        MOEFIT_TRY(shard, read_safetensors(*source));
        for (SafetensorsTensor& t : shard.tensors) {
            auto [it, inserted] = owner.emplace(t.name, file);
            if (!inserted) return error_in(file, fmt::format("tensor also appears in \"{}\"", it->second), t.name);
            add_totals(model.by_dtype[t.dtype], t);
            add_totals(model.total, t);
            model.tensors.push_back(std::move(t));
        }
    }
    for (const auto& [tensor, name] : weight_map) {
        auto it = owner.find(tensor);
        if (it == owner.end() || it->second != join_path(dir, name))
            return error_in(model.index_file,
                            fmt::format("the index maps this tensor to \"{}\", which does not "
                                        "contain it",
                                        name),
                            tensor);
    }
    return model;
}

}  // namespace moefit::spec
