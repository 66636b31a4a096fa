// "Did you mean ...?" suggestions for unknown names (models, hardware, quants, spec keys).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace moefit {

// Case-insensitive Levenshtein distance.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates closest to `name` (distance at most max(2, |name|/3), or a candidate that
// contains `name` / is contained in it), best first, at most `limit`. Empty when none is close.
std::vector<std::string> suggest(std::string_view name, const std::vector<std::string>& candidates,
                                 std::size_t limit = 3);

// "did you mean \"a\" or \"b\"?" or "" when there is no suggestion.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace moefit
