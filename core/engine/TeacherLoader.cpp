#include "engine/TeacherLoader.h"

#include <torch/torch.h>

#include <filesystem>
#include <optional>

#include "engine/Checkpoint.h"
#include "models/FoldableBatchNorm.h"
#include "models/ModelRegistry.h"
#include "models/TorchScriptNet.h"

namespace distillery::engine {

namespace {

struct CheckpointSource {
    std::string model;
    std::string path;
    std::string description;
};

CheckpointSource findCheckpoint(const store::Store& store, const spec::TeacherSpec& t) {
    if (!t.checkpoint.empty()) {
        if (!std::filesystem::exists(t.checkpoint))
            throw std::runtime_error("teacher.checkpoint: file \"" + t.checkpoint + "\" does not exist");
        return {t.model, t.checkpoint, "checkpoint " + t.checkpoint};
    }
    std::optional<store::RunRow> row;
    if (t.runId) {
        row = store.run(*t.runId);
        if (!row) throw std::runtime_error("teacher.run_id: there is no run " + std::to_string(*t.runId) + " in " + store.path());
        if (row->status != store::RunStatus::Finished)
            throw std::runtime_error("teacher.run_id: run " + std::to_string(row->id) + " (\"" + row->name + "\") is " +
                                     store::statusName(row->status) + ", not finished; wait for it or pick a finished run");
    } else {
        row = store.latestFinishedRunNamed(t.runName);
        if (!row)
            throw std::runtime_error("teacher.run_name: no finished run named \"" + t.runName + "\" in " + store.path() +
                                     "; train the teacher first (its run must finish) or give teacher.run_id");
    }
    std::string best, last;
    for (const auto& c : store.checkpoints(row->id)) {
        if (c.kind == "best") best = c.path;
        if (c.kind == "last") last = c.path;
    }
    const std::string path = !best.empty() ? best : last;
    if (path.empty())
        throw std::runtime_error("teacher: run " + std::to_string(row->id) + " (\"" + row->name +
                                 "\") has no checkpoint to load the teacher from");
    if (!t.model.empty() && t.model != row->student)
        throw std::runtime_error("teacher.model: \"" + t.model + "\" differs from the network run " +
                                 std::to_string(row->id) + " trained (\"" + row->student + "\"); remove teacher.model");
    return {row->student, path, "run " + std::to_string(row->id) + " (\"" + row->name + "\")"};
}

}  // namespace

LoadedTeacher loadTeacher(const store::Store& store, const spec::TeacherSpec& teacher, const spec::DataShape& shape,
                          const c10::Device& device) {
    LoadedTeacher loaded;
    if (!teacher.torchscript.empty()) {
        loaded.net = std::make_shared<models::TorchScriptNet>(teacher.torchscript, teacher.stem, teacher.stages,
                                                              teacher.classifier, shape.channels, shape.height,
                                                              shape.width);
        if (loaded.net->numClasses() != shape.numClasses)
            throw std::runtime_error("teacher.torchscript: \"" + teacher.torchscript + "\" predicts " +
                                     std::to_string(loaded.net->numClasses()) + " classes, the data set has " +
                                     std::to_string(shape.numClasses));
        loaded.model = "torchscript";
        loaded.description = "TorchScript file " + teacher.torchscript;
    } else {
        const CheckpointSource source = findCheckpoint(store, teacher);
        loaded.net = models::createModel(source.model, shape.channels, shape.numClasses);
        loadModuleWeights(*loaded.net, source.path, "teacher (" + source.description + ")");
        loaded.model = source.model;
        loaded.description = source.description;
    }
    loaded.net->to(device);
    loaded.net->eval();
    for (auto& p : loaded.net->parameters()) p.set_requires_grad(false);
    loaded.foldedNorms = models::foldBatchNorm(*loaded.net);
    return loaded;
}

}  // namespace distillery::engine
