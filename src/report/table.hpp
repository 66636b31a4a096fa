// A plain-text table: left-aligned first column, right-aligned numbers, two-space gaps.
#pragma once

#include <string>
#include <vector>

namespace moefit::report {

class Table {
public:
    // `right_aligned[i]` says whether column i is right-aligned (numbers).
    explicit Table(std::vector<std::string> header, std::vector<bool> right_aligned = {});

    void add_row(std::vector<std::string> cells);
    void add_separator();  // a rule before the next row (e.g. before a total)

    // The table, each line indented by `indent` spaces and ending in '\n'.
    std::string render(int indent = 2) const;

private:
    std::vector<std::string> header_;
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;  // an empty row is a separator
};

}  // namespace moefit::report
