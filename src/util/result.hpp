// Errors as values. Every user-facing failure is an Error that carries where in the user's
// input it happened (file, line, byte offset, key); the layer that knows the context adds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace moefit {

// Where an error was found. Empty fields are unknown and not printed.
struct Location {
    std::string file;                          // path or "<built-in:NAME>" or "--flag"
    int line = 0;                              // 1-based; 0 = unknown
    int column = 0;                            // 1-based; 0 = unknown
    std::optional<std::uint64_t> byte_offset;  // for binary inputs
    std::string key;                           // dotted key path, e.g. "moe.num_experts"
};

// A location that is only a command-line flag ("--budget") or only a key ("steps"): what the
// layer that knows the flag or key adds to an error from below.
inline Location at_flag(std::string flag) {
    Location l;
    l.file = std::move(flag);
    return l;
}
inline Location at_key(std::string key) {
    Location l;
    l.key = std::move(key);
    return l;
}

// What kind of failure, so the CLI can map it to an exit code.
enum class ErrorKind {
    input,      // bad spec, file or flag value supplied by the user
    not_found,  // unknown model / hardware / quant name
    io,         // file could not be read or written
    internal,   // a bug: an invariant of moefit itself failed
};

struct Error {
    ErrorKind kind = ErrorKind::input;
    Location where;
    std::string message;  // lowercase, says what was expected and what was found
    std::string hint;     // optional "did you mean ...?" or a command to run

    // "file:line:col: key: message" with only the known parts.
    std::string to_string() const;

    // Returns a copy with the file set when it is still unknown (the loader knows the file).
    Error in_file(const std::string& file) const;
    Error at_key(const std::string& key) const;
};

Error make_error(std::string message, Location where = {}, ErrorKind kind = ErrorKind::input);

// A value or an Error. Minimal std::expected stand-in (C++20 has none).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : err_(std::move(error)) {}
    bool ok() const { return !err_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *err_; }

private:
    std::optional<Error> err_;
};

}  // namespace moefit

// Propagates an error from an expression returning Result<T>/Status; the one macro we keep.
#define MOEFIT_TRY(var, expr)                         \
    auto var##_result_ = (expr);                      \
    if (!var##_result_) return var##_result_.error(); \
    auto var = std::move(var##_result_).value()

#define MOEFIT_CHECK(expr)                                  \
    do {                                                    \
        auto moefit_status_ = (expr);                       \
        if (!moefit_status_) return moefit_status_.error(); \
    } while (0)
