#pragma once
// The one way user-supplied JSON text (spec files, stdin, specs stored in a results store) becomes a
// nlohmann::json: nesting is bounded before nlohmann sees the text (its dump, copy and comparison
// recurse once per level, so 200,000 levels overflow the stack), and every error names the line,
// the column and, where the text before it shows, the field being read.
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "spec/RunSpec.h"

namespace distillery::spec {

// A run spec nests 5 levels ({"runs": [{"method": {"paths": [...]}}]}); 64 leaves room for anything
// a person writes while keeping every recursive walk over the value far from the stack's end.
constexpr int kMaxJsonDepth = 64;
// Spec files are a few KB; an experiment of a thousand runs is under 2 MB.
constexpr size_t kMaxSpecFileBytes = size_t(16) << 20;

struct JsonText {
    nlohmann::json value;              // discarded (null) when error is set
    std::optional<SpecError> error;    // path: "line 3, column 14 (optim.lr)"; message: what and how to fix
    bool ok() const { return !error.has_value(); }
};

// Never throws for any input; the error's path is ready to be prefixed with a file name.
JsonText parseJsonText(const std::string& text);

}  // namespace distillery::spec
