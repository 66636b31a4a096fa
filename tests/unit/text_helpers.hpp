// Text helpers for the tests that edit a spec or config before reading it back.
#pragma once

#include <doctest/doctest.h>

#include <string>

namespace moefit::test {

// `text` with the first `from` replaced by `to`; fails the test when `from` is not there.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace moefit::test
