#include <doctest/doctest.h>

#include "json_schema_check.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "report/inspect_report.hpp"
#include "spec/model_catalog.hpp"

using namespace moefit;

TEST_SUITE("report::inspect_report") {
    TEST_CASE("every built-in model's inspect JSON conforms to the shipped schema and is deterministic") {
        const nlohmann::json schema = test::load_schema("inspect");
        auto models = spec::builtin_models();
        REQUIRE(models.ok());
        for (const model::ModelSpec& m : *models) {
            CAPTURE(m.id);
            const auto counts = model::count_params(m, model::build_inventory(m));
            const std::string a = report::inspect_json({m, counts}).dump(2);
            const std::string b = report::inspect_json({m, model::count_params(m, model::build_inventory(m))}).dump(2);
            CHECK(a == b);
            const nlohmann::json parsed = nlohmann::json::parse(a);
            CHECK(test::schema_problem(schema, parsed) == "");
            CHECK(parsed["parameters"]["total"].get<std::uint64_t>() == counts.total);
        }
    }

    TEST_CASE("the schema checker rejects what it should") {
        const nlohmann::json schema = test::load_schema("inspect");
        CHECK(test::schema_problem(schema, nlohmann::json::object()) == "$: missing required key \"schema\"");
        nlohmann::json bad = {{"schema", "moefit.other"}};
        CHECK(test::schema_problem(schema, bad) == "$: missing required key \"schema_version\"");
    }

    TEST_CASE("percent differences are signed and use two decimals") {
        CHECK(report::percent_difference(101, 100) == "+1.00%");
        CHECK(report::percent_difference(99, 100) == "-1.00%");
        CHECK(report::percent_difference(5, 0) == "-");
    }
}
