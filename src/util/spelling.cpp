#include "util/spelling.hpp"

#include <algorithm>
#include <cctype>

namespace moefit {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
    const std::string a = lower(a_in), b = lower(b_in);
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::vector<std::string> suggest(std::string_view name, const std::vector<std::string>& candidates,
                                 std::size_t limit) {
    const std::string lname = lower(name);
    const std::size_t max_distance = std::max<std::size_t>(2, name.size() / 3);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const std::string& c : candidates) {
        const std::string lc = lower(c);
        std::size_t d = edit_distance(lname, lc);
        // A name that is a part of a candidate ("qwen3" in "qwen3-235b-a22b") is a good guess.
        if (lname.size() >= 3 && (lc.find(lname) != std::string::npos || lname.find(lc) != std::string::npos))
            d = std::min(d, std::size_t{1});
        if (d <= max_distance) scored.emplace_back(d, c);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (const auto& [d, c] : scored) {
        if (d > scored.front().first + 1) break;  // only the best and near-best guesses
        if (std::find(out.begin(), out.end(), c) != out.end()) continue;
        out.push_back(c);
        if (out.size() == limit) break;
    }
    return out;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
    const auto s = suggest(name, candidates);
    if (s.empty()) return "";
    std::string out = "did you mean ";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i > 0) out += i + 1 == s.size() ? " or " : ", ";
        out += "\"" + s[i] + "\"";
    }
    return out + "?";
}

}  // namespace moefit
