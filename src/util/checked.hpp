// Overflow-checked 64-bit arithmetic for byte and parameter counts. Inputs are range-checked
// where they enter (spec readers, flags), so an overflow here is a bug or an absurd input that
// slipped through: it throws ArithmeticOverflow, which the CLI reports as an input error
// instead of printing a wrapped number.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace moefit {

struct ArithmeticOverflow : std::overflow_error {
    using std::overflow_error::overflow_error;
};

inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b) {
    std::uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) throw ArithmeticOverflow("64-bit overflow in addition");
    return r;
}

inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b) {
    std::uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) throw ArithmeticOverflow("64-bit overflow in multiplication");
    return r;
}

inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    return checked_mul(checked_mul(a, b), c);
}

inline std::uint64_t checked_sub(std::uint64_t a, std::uint64_t b) {
    if (b > a) throw ArithmeticOverflow("negative result in unsigned subtraction");
    return a - b;
}

// Ceiling division; d must be > 0.
inline std::uint64_t ceil_div(std::uint64_t n, std::uint64_t d) { return n / d + (n % d != 0); }

// Rounds n up to a multiple of m (m > 0).
inline std::uint64_t round_up(std::uint64_t n, std::uint64_t m) { return checked_mul(ceil_div(n, m), m); }

}  // namespace moefit
