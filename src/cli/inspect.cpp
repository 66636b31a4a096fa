// moefit inspect MODEL [--json] [--out FILE]
#include <memory>

#include "cli/common.hpp"
#include "model/accounting.hpp"
#include "model/inventory.hpp"
#include "report/inspect_report.hpp"
#include "spec/model_catalog.hpp"

namespace moefit::cli {
namespace {

struct InspectOptions {
    std::string model;
    OutputOptions output;
};

ExitCode run_inspect(const InspectOptions& o) {
    auto spec = spec::load_model(o.model);
    if (!spec) return report_error(spec.error());
    const model::Inventory inventory = model::build_inventory(*spec);
    const model::ParamCounts counts = model::count_params(*spec, inventory);
    const report::InspectInput in{*spec, counts};
    const std::string text = o.output.json ? report::inspect_json(in).dump(2) + "\n" : report::render_inspect_text(in);
    return emit(text, o.output);
}

}  // namespace

void add_inspect(CLI::App& cmd, Action& action) {
    auto opts = std::make_shared<InspectOptions>();
    cmd.add_option("MODEL", opts->model, "built-in model name (see `moefit list models`) or a spec .toml path")
        ->required();
    add_output_options(cmd, opts->output);
    cmd.callback([opts, &action] { action = [opts] { return run_inspect(*opts); }; });
}

}  // namespace moefit::cli
