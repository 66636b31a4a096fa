#include "spec/model_toml.hpp"

#include "model/validate.hpp"
#include "spec/model_schema.hpp"

namespace moefit::spec {

Result<model::ModelSpec> read_model_toml(std::string_view text, const std::string& file) {
    MOEFIT_TRY(doc, read_toml(text, file, model_keys()));
    model::ModelSpec spec;
    for (const Assignment& a : doc.values) apply_model_key(a.key_index, a.value, spec);
    spec.origin = file;
    Status st = model::finalize_spec(spec);
    if (!st) {
        // Point the consistency error at the line of the key it names (or of its table).
        Error e = st.error().in_file(file);
        const std::string& key = e.where.key;
        if (auto it = doc.locations.find(key); it != doc.locations.end()) {
            e.where.line = it->second.line;
            e.where.column = it->second.column;
        } else if (auto t = doc.tables.find(key.substr(0, key.find('.'))); t != doc.tables.end()) {
            e.where.line = t->second.line;
        }
        return e;
    }
    return spec;
}

}  // namespace moefit::spec
