// Test helpers that build small GGUF and safetensors files in memory, and a FileSystem that
// serves them, so reader tests (and the synthetic-model writer tests) never touch disk.
// Builders write well-formed files by default; the override setters exist to make them wrong
// in exactly one way.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/byte_reader.hpp"
#include "spec/safetensors_reader.hpp"

namespace moefit::test {

// GGML tensor type ids (ggml.h: enum ggml_type) that the GGUF tests write.
namespace ggml_type {
inline constexpr std::uint32_t F32 = 0, F16 = 1, Q8_0 = 8, Q4_K = 12, Q6_K = 14;
}

// Appends little-endian values to a byte vector.
struct ByteWriter {
    std::vector<std::uint8_t> bytes;

    template <typename T>
    ByteWriter& put(T value) {
        std::uint8_t raw[sizeof(T)];
        std::memcpy(raw, &value, sizeof(T));  // the test hosts are little-endian, like the formats
        bytes.insert(bytes.end(), raw, raw + sizeof(T));
        return *this;
    }
    ByteWriter& raw(const std::string& s) {
        bytes.insert(bytes.end(), s.begin(), s.end());
        return *this;
    }
    ByteWriter& raw(const std::vector<std::uint8_t>& b) {
        bytes.insert(bytes.end(), b.begin(), b.end());
        return *this;
    }
    // A GGUF string: uint64 length, then the bytes.
    ByteWriter& str(const std::string& s) { return put<std::uint64_t>(s.size()).raw(s); }
    std::size_t size() const { return bytes.size(); }
};

// GGUF value type ids, as in the file.
namespace gguf_type {
inline constexpr std::uint32_t u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8,
                               array = 9, u64 = 10, i64 = 11, f64 = 12;
}

class GgufBuilder {
public:
    GgufBuilder& magic(std::string m) {
        magic_ = std::move(m);
        return *this;
    }
    GgufBuilder& version(std::uint32_t v) {
        version_ = v;
        return *this;
    }
    // Writes general.alignment (uint32) and lays the data section out with it.
    GgufBuilder& alignment(std::uint32_t a) {
        alignment_ = a;
        return kv_u32("general.alignment", a);
    }
    GgufBuilder& tensor_count(std::uint64_t n) {
        tensor_count_ = n;
        return *this;
    }  // override
    GgufBuilder& kv_count(std::uint64_t n) {
        kv_count_ = n;
        return *this;
    }  // override

    // A key/value with a raw payload after the type id (any type id, even an invalid one).
    GgufBuilder& kv_raw(const std::string& key, std::uint32_t type, const std::vector<std::uint8_t>& payload) {
        ByteWriter w;
        w.str(key).put(type).raw(payload);
        kvs_.push_back(std::move(w.bytes));
        return *this;
    }
    template <typename T>
    GgufBuilder& kv(const std::string& key, std::uint32_t type, T value) {
        return kv_raw(key, type, ByteWriter{}.put(value).bytes);
    }
    GgufBuilder& kv_u32(const std::string& key, std::uint32_t v) { return kv(key, gguf_type::u32, v); }
    GgufBuilder& kv_u64(const std::string& key, std::uint64_t v) { return kv(key, gguf_type::u64, v); }
    GgufBuilder& kv_i32(const std::string& key, std::int32_t v) { return kv(key, gguf_type::i32, v); }
    GgufBuilder& kv_f32(const std::string& key, float v) { return kv(key, gguf_type::f32, v); }
    GgufBuilder& kv_bool(const std::string& key, bool v) { return kv(key, gguf_type::boolean, std::uint8_t{v}); }
    GgufBuilder& kv_string(const std::string& key, const std::string& v) {
        return kv_raw(key, gguf_type::string, ByteWriter{}.str(v).bytes);
    }
    GgufBuilder& kv_u32_array(const std::string& key, const std::vector<std::uint32_t>& v) {
        ByteWriter w;
        w.put(gguf_type::u32).put<std::uint64_t>(v.size());
        for (auto x : v) w.put(x);
        return kv_raw(key, gguf_type::array, w.bytes);
    }
    GgufBuilder& kv_string_array(const std::string& key, const std::vector<std::string>& v) {
        ByteWriter w;
        w.put(gguf_type::string).put<std::uint64_t>(v.size());
        for (const auto& s : v) w.str(s);
        return kv_raw(key, gguf_type::array, w.bytes);
    }

    // A tensor whose data follows the previous one's, at the next aligned offset.
    GgufBuilder& tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                        std::uint64_t data_bytes) {
        std::uint64_t offset = 0;
        for (const auto& t : tensors_) offset = std::max(offset, t.offset + t.data_bytes);
        offset = (offset + alignment_ - 1) / alignment_ * alignment_;
        return tensor_at(name, std::move(dims), type, offset, data_bytes);
    }
    // A tensor at an explicit offset; the data section grows to cover offset + data_bytes.
    GgufBuilder& tensor_at(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                           std::uint64_t offset, std::uint64_t data_bytes = 0) {
        tensors_.push_back({name, std::move(dims), type, offset, data_bytes});
        return *this;
    }

    // Where the data section starts in the built file.
    std::uint64_t data_offset() const {
        const std::uint64_t end = header_and_infos().size();
        return (end + alignment_ - 1) / alignment_ * alignment_;
    }

    std::vector<std::uint8_t> build() const {
        ByteWriter w = header_and_infos();
        std::uint64_t data_end = 0;
        for (const auto& t : tensors_) data_end = std::max(data_end, t.offset + t.data_bytes);
        if (!tensors_.empty()) w.bytes.resize(static_cast<std::size_t>(data_offset() + data_end), 0);
        return w.bytes;
    }

private:
    struct Tensor {
        std::string name;
        std::vector<std::uint64_t> dims;
        std::uint32_t type;
        std::uint64_t offset;
        std::uint64_t data_bytes;
    };

    ByteWriter header_and_infos() const {
        ByteWriter w;
        w.raw(magic_).put(version_);
        w.put<std::uint64_t>(tensor_count_.value_or(tensors_.size()));
        w.put<std::uint64_t>(kv_count_.value_or(kvs_.size()));
        for (const auto& kv : kvs_) w.raw(kv);
        for (const auto& t : tensors_) {
            w.str(t.name).put<std::uint32_t>(static_cast<std::uint32_t>(t.dims.size()));
            for (auto d : t.dims) w.put(d);
            w.put(t.type).put(t.offset);
        }
        return w;
    }

    std::string magic_ = "GGUF";
    std::uint32_t version_ = 3;
    std::uint64_t alignment_ = 32;
    std::optional<std::uint64_t> tensor_count_, kv_count_;
    std::vector<std::vector<std::uint8_t>> kvs_;
    std::vector<Tensor> tensors_;
};

class SafetensorsBuilder {
public:
    SafetensorsBuilder& metadata(const std::string& key, const std::string& value) {
        header_["__metadata__"][key] = value;
        return *this;
    }
    // A tensor packed after the previous ones; its size comes from the dtype table.
    SafetensorsBuilder& tensor(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape) {
        std::uint64_t elements = 1;
        for (auto d : shape) elements *= d;
        const auto known = spec::parse_safetensors_dtype(dtype);
        const std::uint64_t bytes = known ? elements * spec::safetensors_dtype_info(*known).bits / 8 : elements;
        return tensor_at(name, dtype, std::move(shape), next_, next_ + bytes);
    }
    // A tensor with explicit data_offsets; the data section grows to cover `end`.
    SafetensorsBuilder& tensor_at(const std::string& name, const std::string& dtype, std::vector<std::uint64_t> shape,
                                  std::uint64_t begin, std::uint64_t end) {
        header_[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
        next_ = std::max(next_, end);
        return *this;
    }
    // Replaces the generated JSON header with this text (still padded to 8 bytes with spaces).
    SafetensorsBuilder& raw_header(std::string text) {
        raw_header_ = std::move(text);
        return *this;
    }
    SafetensorsBuilder& header_length(std::uint64_t n) {
        header_length_ = n;
        return *this;
    }  // override
    SafetensorsBuilder& data_bytes(std::uint64_t n) {
        data_bytes_ = n;
        return *this;
    }  // override

    std::string header_text() const {
        std::string text = raw_header_ ? *raw_header_ : header_.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        return text;
    }

    std::vector<std::uint8_t> build() const {
        const std::string text = header_text();
        ByteWriter w;
        w.put<std::uint64_t>(header_length_.value_or(text.size())).raw(text);
        w.bytes.resize(w.bytes.size() + static_cast<std::size_t>(data_bytes_.value_or(next_)), 0);
        return w.bytes;
    }

private:
    nlohmann::ordered_json header_ = nlohmann::ordered_json::object();
    std::uint64_t next_ = 0;
    std::optional<std::string> raw_header_;
    std::optional<std::uint64_t> header_length_, data_bytes_;
};

// A model folder in memory: paths map to file contents; folders exist when they hold a file.
class MemoryFileSystem final : public spec::FileSystem {
public:
    MemoryFileSystem& add(const std::string& path, std::vector<std::uint8_t> bytes) {
        files_[path] = std::move(bytes);
        return *this;
    }
    MemoryFileSystem& add(const std::string& path, const std::string& text) {
        return add(path, std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    bool is_file(const std::string& path) const override { return files_.count(path) != 0; }
    bool is_directory(const std::string& path) const override {
        const std::string prefix = path + "/";
        return std::any_of(files_.begin(), files_.end(),
                           [&](const auto& f) { return f.first.compare(0, prefix.size(), prefix) == 0; });
    }
    Result<std::vector<std::string>> list(const std::string& dir) const override {
        std::vector<std::string> names;
        const std::string prefix = dir + "/";
        for (const auto& [path, bytes] : files_) {
            if (path.compare(0, prefix.size(), prefix) == 0 && path.find('/', prefix.size()) == std::string::npos)
                names.push_back(path.substr(prefix.size()));
        }
        return names;  // std::map keeps them sorted
    }
    Result<std::unique_ptr<spec::ByteSource>> open(const std::string& path) const override {
        auto it = files_.find(path);
        if (it == files_.end()) return make_error("no such file", {path, 0, 0, {}, {}}, ErrorKind::io);
        return std::unique_ptr<spec::ByteSource>(std::make_unique<spec::MemoryByteSource>(it->second, path));
    }

private:
    std::map<std::string, std::vector<std::uint8_t>> files_;
};

}  // namespace moefit::test
