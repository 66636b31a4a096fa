#include "spec/file_io.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace moefit::spec {

Result<std::string> read_text_file(const std::string& path, std::uint64_t max_bytes) {
    Location loc;
    loc.file = path;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return make_error("is a folder, expected a file", loc, ErrorKind::io);
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return make_error("cannot read: " + ec.message(), loc, ErrorKind::io);
    if (size > max_bytes)
        return make_error("file of " + std::to_string(size) + " bytes is larger than the " +
                              std::to_string(max_bytes) + " bytes expected for this kind of file",
                          loc, ErrorKind::io);
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(std::string("cannot open: ") + std::strerror(errno), loc, ErrorKind::io);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace moefit::spec
