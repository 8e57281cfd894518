#pragma once
// Study files: a base spec, a grid, random draws and seeds, expanded into the runs of a KD study
// (methods × teacher-student pairs × hyperparameters × seeds). parseExperiment accepts them beside
// run and experiment files; the plan types (StudyPlan, StudyRun, EarlyStopping) are in RunSpec.h.
//
//   {"study": "laptop", "description": "…",
//    "base": {…a run spec without "seed"…},
//    "teachers": {"resnet20": {"student": {"model": "resnet20"}}},
//    "grid": {"optim.lr": [0.05, 0.1], "method.T": {"linspace": [2, 8, 4]},
//             "method": [{"name": "ce"}, {"name": "kd", "T": [2, 4]}]},
//    "random": {"n": 8, "seed": 0, "space": {"optim.lr": {"log_uniform": [0.001, 0.3]}}},
//    "seeds": [1, 2, 3],
//    "early_stopping": {"rule": "median", "grace_epochs": 2, "min_runs": 3}}
//
// Expansion, in this order:
// - Grid keys are taken in the JSON object's key order (nlohmann keeps keys sorted), the first key
//   outermost. "method" lists whole method blocks; in a block, a list (or range) under a number or
//   choice parameter, or a list of lists under a names or numbers parameter, is a sub-grid of that
//   block, and "label" names the block in run names instead of the method's name.
// - Each grid point takes random.n draws. The draws come from one std::mt19937_64 seeded with
//   random.seed: grid points in order, draws in order, and per draw one 64-bit number per space key
//   in key order, consumed whether or not the key applies to that run, mapped to [0, 1) as
//   (x >> 11) * 2^-53. uniform: lo + u (hi - lo); log_uniform: exp(log lo + u (log hi - log lo));
//   int_uniform: lo + floor(u (hi - lo + 1)); choice: values[floor(u size)].
// - A "method.X" key applies only to runs whose method declares X, a "teacher…" key and the base's
//   teacher only to runs whose method distils from a teacher; elsewhere they are not set or varied.
// - Configurations with the same spec are kept once; each then runs with every seed.
// - A teacher {"run_name": K} with K a key of "teachers" becomes the run "<study>-teacher-K-s<seed>",
//   trained in the same study before the students (base less its teacher and method, K's partial
//   spec merged over it, the same seed).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/RunSpec.h"

namespace distillery::spec {

// Studies larger than this are refused: the count and the limit are named.
constexpr size_t kMaxStudyRuns = 10'000;

// An object with "study".
bool isStudy(const nlohmann::json& root);

// Expands and validates; every error carries its field path ("grid.method[1].T",
// "random.space.optim.lr", "runs of configuration \"kd-T2\" (seed 1).method.T").
struct StudyParse {
    std::optional<StudyPlan> plan;
    std::vector<SpecError> errors;
    bool ok() const { return errors.empty() && plan.has_value(); }
};
StudyParse parseStudy(const nlohmann::json& root);

// What `distillery-engine plan STUDY.json` prints: the study's name, the run counts, the early-stopping
// rule and a fixed-width table with one row per configuration (teachers first): its label, one column
// per varied field ("-" where the field does not apply) and its seeds. Plain text ending with a newline.
std::string formatPlan(const StudyPlan& plan);

}  // namespace distillery::spec
