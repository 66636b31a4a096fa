#include <doctest/doctest.h>

#include "util/spelling.hpp"

using namespace moefit;

TEST_SUITE("util::spelling") {
    TEST_CASE("edit distance is case-insensitive and symmetric") {
        CHECK(edit_distance("kitten", "sitting") == 3);
        CHECK(edit_distance("H100", "h100") == 0);
        CHECK(edit_distance("abc", "") == 3);
        CHECK(edit_distance("mixtral", "mixtrl") == edit_distance("mixtrl", "mixtral"));
    }

    TEST_CASE("a close name is suggested and a far one is not") {
        const std::vector<std::string> names = {"mixtral-8x7b", "mixtral-8x22b", "deepseek-v3", "qwen3-235b-a22b"};
        CHECK(did_you_mean("mixtrl-8x7b", names) == "did you mean \"mixtral-8x7b\"?");
        CHECK(did_you_mean("mixtral-8x2b", names) == "did you mean \"mixtral-8x7b\" or \"mixtral-8x22b\"?");
        CHECK(did_you_mean("deepsek-v3", names) == "did you mean \"deepseek-v3\"?");
        CHECK(did_you_mean("qwen3", names) == "did you mean \"qwen3-235b-a22b\"?");
        CHECK(did_you_mean("llama", names).empty());
    }
}
