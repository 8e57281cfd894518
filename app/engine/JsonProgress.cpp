#include "JsonProgress.h"

#include <nlohmann/json.hpp>

void JsonProgress::report(const distillery::engine::Progress& p) {
    const nlohmann::json line = {{"type", "progress"},       {"run", p.runId},
                                 {"epoch", p.epoch},          {"epochs", p.epochs},
                                 {"step", p.step},            {"total_steps", p.totalSteps},
                                 {"loss", p.loss},            {"acc", p.trainAcc},
                                 {"val_acc", p.valAcc},       {"eta_s", p.etaSeconds},
                                 {"progress", p.fraction},    {"images_per_s", p.imagesPerSecond},
                                 {"phase", p.phase}};
    std::fprintf(out_, "%s\n", line.dump().c_str());
    std::fflush(out_);
}
