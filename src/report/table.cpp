#include "report/table.hpp"

#include <algorithm>

namespace moefit::report {
namespace {

// Display width: counts UTF-8 code points, not bytes (for "×", "≤" ...).
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

Table::Table(std::vector<std::string> header, std::vector<bool> right_aligned)
    : header_(std::move(header)), right_(std::move(right_aligned)) {
    right_.resize(header_.size(), false);
}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(header_.size());
    rows_.push_back(std::move(cells));
}

void Table::add_separator() { rows_.emplace_back(); }

std::string Table::render(int indent) const {
    std::vector<std::size_t> w(header_.size(), 0);
    for (std::size_t i = 0; i < header_.size(); ++i) w[i] = width(header_[i]);
    for (const auto& r : rows_)
        for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
    std::size_t total = 0;
    for (std::size_t i = 0; i < w.size(); ++i) total += w[i] + (i ? 2 : 0);

    const std::string pad(static_cast<std::size_t>(indent), ' ');
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out = pad;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) out += "  ";
            const std::string fill(w[i] - width(cells[i]), ' ');
            out += right_[i] ? fill + cells[i] : cells[i] + (i + 1 < cells.size() ? fill : "");
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(header_);
    std::string rule = pad;
    for (std::size_t i = 0; i < total; ++i) rule += "-";
    out += rule + "\n";
    for (const auto& r : rows_) out += r.empty() ? rule + "\n" : line(r);
    return out;
}

}  // namespace moefit::report
