#pragma once
// The study file the designer writes when a field is swept or there is more than one seed (Study.h),
// and back: a study file split into what the form shows and what it keeps as written.
//
//   base    the form's spec without its seed and name (the seeds come from "seeds", the study's name
//           names the runs) and without the fields the grid varies
//   grid    the swept fields by their spec paths. Sweeping the method writes whole method blocks, one
//           per checked method: the block of the form's own method (the one whose parameters the form
//           shows) takes the form's method parameters and their sweeps; the other methods run at their
//           declared defaults. One parameter form for several methods would offer parameters some of
//           them lack; a researcher who wants another method's parameters sweeps that method on its
//           own, or edits its block in the file (blocks the form cannot show are kept as written).
//   seeds, early_stopping (the median rule after N grace epochs)
//   kept    what a loaded study held that the form cannot show: a description, teachers, a random
//           part, grid keys of fields without a sweep in the form or with values its sweep editors
//           cannot hold, method blocks with labels or with parameters in more than one block. They
//           are written back as they were; a field swept in the form replaces the file's grid key.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

#include "PairDescription.h"
#include "spec/RunSpec.h"

namespace distillery::views {

struct StudyDesign {
    QString name;
    nlohmann::json base = nlohmann::json::object();
    nlohmann::json sweeps = nlohmann::json::object();   // form path → grid value; "method.name" → the methods' names
    nlohmann::json seeds = nlohmann::json::array();
    bool stopBelowMedian = false;
    int64_t graceEpochs = 1;
    nlohmann::json kept = nlohmann::json::object();     // study keys as written; under "grid", its kept keys

    nlohmann::json toJson() const;
    // A study as the designer shows and saves it, indented: what varies first (study, description,
    // grid, random, seeds, early_stopping), then base and teachers. (A JSON object's order does not
    // matter to the parser; nlohmann sorts keys, which would put the long base first.)
    static std::string text(const nlohmann::json& study);

    // Splits a study file; keptNotes gets one line per part kept as written.
    static StudyDesign fromJson(const nlohmann::json& study, QStringList* keptNotes = nullptr);

    // Where the form shows an error of the study parser: "grid.optim.lr.linspace" and "runs of
    // configuration \"lr0.1\" (seed 1).optim.lr" under optim.lr, "base.epochs" under epochs, "seeds[1]"
    // under the seeds, "study" under the name; an error in a method block under the form's method
    // parameter when the block is formMethod's, else under the method, naming the block. Other errors
    // keep their path, and the form lists them below its fields.
    static FieldError formError(const spec::SpecError& error, const nlohmann::json& study, const QString& formMethod);
};

}  // namespace distillery::views
