#include "engine/TeacherLoader.h"

#include <torch/torch.h>

#include <filesystem>

#include "engine/Checkpoint.h"
#include "engine/StateDictImport.h"
#include "models/FoldableBatchNorm.h"
#include "models/ModelRegistry.h"
#include "models/TorchScriptNet.h"
#include "spec/FieldError.h"

namespace distillery::engine {

TeacherNet createTeacherNet(const store::Store* store, const spec::TeacherSpec& teacher, const spec::DataShape& shape) {
    TeacherNet built;
    if (!teacher.torchscript.empty()) {
        built.net = std::make_shared<models::TorchScriptNet>(teacher.torchscript, teacher.stem, teacher.stages,
                                                             teacher.classifier, shape.channels, shape.height,
                                                             shape.width);
        built.model = "torchscript";
        built.description = "TorchScript file " + teacher.torchscript;
        return built;
    }
    if (teacher.runId || !teacher.runName.empty()) {
        if (!store)
            throw spec::FieldError::prefixed(teacher.runId ? "teacher.run_id" : "teacher.run_name",
                                   "names a run of a store, but no store was given (describe --db FILE)");
        built.run = spec::resolveTeacherRun(*store, teacher);
        const store::RunRow& row = built.run->run;
        built.model = row.student;   // the network a run trained is its "student" column
        built.checkpoint = built.run->checkpoints.preferred();
        built.description = "run " + std::to_string(row.id) + " (\"" + row.name + "\")";
    } else if (!teacher.stateDict.empty()) {
        built.model = teacher.model;
        built.description = "state dict \"" + teacher.stateDict + "\"";
    } else {
        built.model = teacher.model;
        built.checkpoint = teacher.checkpoint;
        built.description = "checkpoint " + teacher.checkpoint;
    }
    built.net = models::createModel(built.model, shape.channels, shape.numClasses);
    return built;
}

LoadedTeacher loadTeacher(const store::Store& store, const spec::TeacherSpec& teacher, const spec::DataShape& shape,
                          const c10::Device& device) {
    if (!teacher.checkpoint.empty() && !std::filesystem::exists(teacher.checkpoint))
        throw spec::FieldError::prefixed("teacher.checkpoint", "file \"" + teacher.checkpoint + "\" does not exist");
    TeacherNet built = createTeacherNet(&store, teacher, shape);
    if (built.run) {
        const store::RunRow& row = built.run->run;
        if (built.checkpoint.empty())
            throw spec::FieldError::prefixed("teacher", "run " + std::to_string(row.id) + " (\"" + row.name +
                                                  "\") has no checkpoint to load the teacher from");
        if (!teacher.model.empty() && teacher.model != row.student)
            throw spec::FieldError::prefixed("teacher.model", "\"" + teacher.model + "\" differs from the network run " +
                                                        std::to_string(row.id) + " trained (\"" + row.student +
                                                        "\"); remove teacher.model");
    }
    if (!teacher.torchscript.empty()) {
        if (built.net->numClasses() != shape.numClasses)
            throw spec::FieldError::prefixed("teacher.torchscript", "\"" + teacher.torchscript + "\" predicts " +
                                                              std::to_string(built.net->numClasses()) +
                                                              " classes, the data set has " +
                                                              std::to_string(shape.numClasses));
    } else if (!teacher.stateDict.empty()) {
        const std::string network = built.model + " (" + std::to_string(shape.channels) + " input channels, " +
                                    std::to_string(shape.numClasses) + " classes)";
        built.description = importStateDict(*built.net, network, teacher.stateDict, "teacher.state_dict")
                                .describe(teacher.stateDict);
    } else {
        loadModuleWeights(*built.net, built.checkpoint, "teacher (" + built.description + ")");
    }
    LoadedTeacher loaded{built.net, built.model, built.description};
    loaded.net->to(device);
    loaded.net->eval();
    for (auto& p : loaded.net->parameters()) p.set_requires_grad(false);
    loaded.foldedNorms = models::foldBatchNorm(*loaded.net);
    return loaded;
}

}  // namespace distillery::engine
