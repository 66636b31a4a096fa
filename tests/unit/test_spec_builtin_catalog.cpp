#include <doctest/doctest.h>

#include <map>
#include <string>

#include "spec/builtin_catalog.hpp"
#include "spec/hardware_catalog.hpp"
#include "spec/model_catalog.hpp"

using namespace moefit;

namespace {

// Every name of `entries` (id, display name, aliases; lowercase) maps to one id only, and
// finding each name, in upper case too, gives that entry: the quick lookup agrees with the
// whole catalog.
template <typename Entry, typename Find>
void check_every_name(const std::vector<Entry>& entries, Find find) {
    std::map<std::string, std::string> owner;
    for (const Entry& e : entries) {
        std::vector<std::string> names = e.aliases;
        names.push_back(e.id);
        names.push_back(e.name);
        for (const std::string& n : names) {
            CAPTURE(n);
            const auto [it, inserted] = owner.emplace(spec::ascii_lower(n), e.id);
            CHECK((inserted || it->second == e.id));
            for (const std::string& typed : {n, [&] {
                                                 std::string up = n;
                                                 for (char& c : up) c = static_cast<char>(std::toupper(c));
                                                 return up;
                                             }()}) {
                auto found = find(typed);
                REQUIRE_MESSAGE(found.ok(), found.error().to_string());
                CHECK(found->id == e.id);
                CHECK(found->origin == "built-in");
            }
        }
    }
}

}  // namespace

TEST_SUITE("spec::builtin_catalog") {
    TEST_CASE("every built-in's id is its file stem, so a lookup by id parses one file") {
        for (const auto files : {embedded::model_spec_files(), embedded::hardware_profile_files()}) {
            for (std::size_t i = 0; i < files.size(); ++i) {
                const std::string name = files[i].name;
                CAPTURE(name);
                const std::string stem = name.substr(0, name.size() - 5);
                CHECK(spec::builtin_file_named(files, stem) == i);
            }
        }
        auto models = spec::builtin_models();
        REQUIRE(models.ok());
        CHECK(models->size() == embedded::model_spec_files().size());
        for (const auto& m : *models) CHECK(spec::builtin_file_named(embedded::model_spec_files(), m.id).has_value());
        auto hardware = spec::builtin_hardware();
        REQUIRE(hardware.ok());
        CHECK(hardware->size() == embedded::hardware_profile_files().size());
        for (const auto& h : *hardware)
            CHECK(spec::builtin_file_named(embedded::hardware_profile_files(), h.id).has_value());
    }

    TEST_CASE("every id, name and alias finds its own entry, in any case, and belongs to one entry") {
        auto models = spec::builtin_models();
        REQUIRE(models.ok());
        check_every_name(*models, [](const std::string& n) { return spec::find_builtin_model(n); });
        auto hardware = spec::builtin_hardware();
        REQUIRE(hardware.ok());
        check_every_name(*hardware, [](const std::string& n) { return spec::find_builtin_hardware(n); });
    }

    TEST_CASE("an alias is found by a text scan without parsing every file") {
        const auto files = embedded::model_spec_files();
        CHECK_FALSE(spec::builtin_file_named(files, "deepseek-r1").has_value());
        const auto candidates = spec::builtin_files_quoting(files, "deepseek-r1");
        REQUIRE(candidates.size() == 1);
        CHECK(std::string(files[candidates[0]].name) == "deepseek-v3.toml");
        CHECK(spec::builtin_files_quoting(files, "no-such-model").empty());
        CHECK(spec::builtin_files_quoting(files, "").empty());
    }

    TEST_CASE("an unknown name is not_found with suggestions and the listing command") {
        auto m = spec::find_builtin_model("mixtrl-8x7b");
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().kind == ErrorKind::not_found);
        CHECK(m.error().message == "unknown model \"mixtrl-8x7b\"");
        CHECK(m.error().hint ==
              "did you mean \"mixtral-8x7b\"? (`moefit list models` shows the built-in models; a path to a .toml "
              "spec also works)");
        auto h = spec::find_builtin_hardware("rtx-4091");
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().message == "unknown hardware \"rtx-4091\"");
        CHECK(h.error().hint.find("(`moefit list hardware` shows the built-in profiles; a path to a .toml profile "
                                  "also works)") != std::string::npos);
    }
}
