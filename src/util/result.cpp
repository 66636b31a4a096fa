#include "util/result.hpp"

namespace moefit {

std::string Error::to_string() const {
    std::string out;
    if (!where.file.empty()) {
        out += where.file;
        if (where.line > 0) {
            out += ':' + std::to_string(where.line);
            if (where.column > 0) out += ':' + std::to_string(where.column);
        } else if (where.byte_offset) {
            out += ": at byte " + std::to_string(*where.byte_offset);
        }
        out += ": ";
    } else if (where.byte_offset) {
        out += "at byte " + std::to_string(*where.byte_offset) + ": ";
    }
    if (!where.key.empty()) out += where.key + ": ";
    out += message;
    return out;
}

Error Error::in_file(const std::string& file) const {
    Error e = *this;
    if (e.where.file.empty()) e.where.file = file;
    return e;
}

Error Error::at_key(const std::string& key) const {
    Error e = *this;
    if (e.where.key.empty()) e.where.key = key;
    return e;
}

Error make_error(std::string message, Location where, ErrorKind kind) {
    Error e;
    e.kind = kind;
    e.where = std::move(where);
    e.message = std::move(message);
    return e;
}

}  // namespace moefit
