#include <doctest/doctest.h>

#include "util/units.hpp"

using namespace moefit;

TEST_SUITE("util::units") {
    TEST_CASE("binary and decimal sizes parse to exact bytes and remember their family") {
        auto gib = parse_size("24GiB");
        REQUIRE(gib.ok());
        CHECK(gib->bytes == 24ull * 1024 * 1024 * 1024);
        CHECK(gib->family == UnitFamily::binary);
        auto gb = parse_size("80 GB");
        REQUIRE(gb.ok());
        CHECK(gb->bytes == 80'000'000'000ull);
        CHECK(gb->family == UnitFamily::decimal);
        CHECK(parse_size("1.5TiB")->bytes == 1649267441664ull);
        CHECK(parse_size("81559MiB")->bytes == 81559ull * 1024 * 1024);
        CHECK(parse_size("4096")->bytes == 4096);
    }

    TEST_CASE("bad sizes are rejected with the value quoted") {
        CHECK(parse_size("").error().message == "expected a size such as 24GiB or 80GB, found an empty value");
        CHECK(parse_size("-5GB").error().message == "expected a non-negative size, found \"-5GB\"");
        CHECK(parse_size("12 parsecs").error().message ==
              "unknown size unit \"parsecs\" in \"12 parsecs\"; expected B, KiB, MiB, GiB, TiB (binary) or KB, MB, GB, "
              "TB (decimal)");
        CHECK(parse_size("nanGB").error().message == "expected a size such as 24GiB or 80GB, found \"nanGB\"");
        CHECK(parse_size("99999999999TB").error().message == "size too large (at most 8 EiB), found \"99999999999TB\"");
    }

    TEST_CASE("a size in bytes must be whole; a decimal of a larger unit is rounded to the byte") {
        CHECK(parse_size("1.5B").error().message == "expected a whole number of bytes, found \"1.5B\"");
        CHECK(parse_size("0.3").error().message == "expected a whole number of bytes, found \"0.3\"");
        CHECK(parse_size("2.0B")->bytes == 2);
        CHECK(parse_size("1.5GiB")->bytes == 1610612736ull);
        CHECK(parse_size("121.69GiB")->bytes == 130663642563ull);  // as a built-in profile writes it
        CHECK(parse_size("117.74 MiB")->bytes == 123459338ull);    // as format_bytes prints 123456789
    }

    TEST_CASE("a count's messages name what it counts") {
        constexpr CountNoun sequences{"sequence count", "sequences", "1 or 16"};
        CHECK(parse_count("-1", sequences).error().message == "expected a non-negative sequence count, found \"-1\"");
        CHECK(parse_count("1.5", sequences).error().message == "expected a whole number of sequences, found \"1.5\"");
        CHECK(parse_count("x", sequences).error().message == "expected a sequence count such as 1 or 16, found \"x\"");
        CHECK(parse_count("4q", sequences).error().message ==
              "unknown sequence-count suffix \"q\" in \"4q\"; expected K (x1024) or M (x1024^2)");
        CHECK(*parse_count("2K", sequences) == 2048);
        CHECK(parse_token_count("-5").error().message == "expected a non-negative token count, found \"-5\"");
    }

    TEST_CASE("token counts accept K and M as powers of two") {
        CHECK(*parse_token_count("128K") == 131072);
        CHECK(*parse_token_count("32768") == 32768);
        CHECK(*parse_token_count("1M") == 1048576);
        CHECK(*parse_token_count("1_000") == 1000);
        CHECK(parse_token_count("1.5").error().message == "expected a whole number of tokens, found \"1.5\"");
        CHECK(parse_token_count("1e12").error().message ==
              "unknown token-count suffix \"e12\" in \"1e12\"; expected K (x1024) or M (x1024^2)");
        CHECK(parse_token_count("2000000M").error().message ==
              "token count too large (at most 2^40), found \"2000000M\"");
    }

    TEST_CASE("formatting round-trips through parsing within the printed precision") {
        CHECK(format_bytes(17ull * 1024 * 1024 * 1024 + 300ull * 1024 * 1024) == "17.29 GiB");
        CHECK(format_bytes(80'000'000'000ull, UnitFamily::decimal) == "80.00 GB");
        CHECK(format_bytes(512) == "512 B");
        CHECK(format_count(46'702'792'704ull) == "46.70B");
        CHECK(format_count(1'026'408'232'448ull) == "1.03T");
        CHECK(format_grouped(46'702'792'704ull) == "46,702,792,704");
        CHECK(format_grouped(7) == "7");
        CHECK(format_tokens(131072) == "128K");
        CHECK(format_tokens(1000) == "1000");
        for (std::uint64_t b : {1ull << 20, 3ull << 30, 123456789ull}) {
            auto back = parse_size(format_bytes(b));
            REQUIRE(back.ok());
            const double rel = std::abs(static_cast<double>(back->bytes) - static_cast<double>(b)) / static_cast<double>(b);
            CHECK(rel < 0.005);
        }
    }
}
