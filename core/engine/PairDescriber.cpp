#include "engine/PairDescriber.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "engine/TeacherLoader.h"
#include "methods/Distiller.h"
#include "models/ModelRegistry.h"
#include "spec/FieldError.h"
#include "spec/ImageFolderListing.h"
#include "spec/JsonText.h"
#include "spec/RunSpec.h"
#include "store/Store.h"

namespace distillery::engine {

static_assert(spec::SpotDescription::kPooled == methods::Spot::kPooled &&
                  spec::SpotDescription::kLogits == methods::Spot::kLogits,
              "the describe protocol carries methods::Spot's head positions");

namespace {

using nlohmann::json;

// An error building a net or a method: at the field a spec::FieldError names, with its message
// (the path apart, as the parser's errors have it); any other error at fallbackPath, as it reads.
template <typename Build>
void collectError(std::vector<spec::SpecError>& errors, const std::string& fallbackPath, Build&& build) {
    try {
        build();
    } catch (const store::StoreError&) {
        throw;   // an unreadable store is the caller's problem, not the spec's
    } catch (const spec::FieldError& e) {
        errors.push_back({e.path(), e.message()});
    } catch (const std::exception& e) {
        errors.push_back({fallbackPath, e.what()});
    }
}

// The images of the data set's training files, without reading images: an image folder's files are
// counted (0 when it cannot be listed; the designer's preview says why).
int64_t trainFileCount(const spec::DataSpec& data) {
    return data.name == "folder" ? int64_t(spec::listImageFolder(data.root).train.paths.size()) : spec::trainImageCount(data);
}

// The training images a data spec yields: sizes a method's memory bank.
int64_t estimatedTrainSize(const spec::DataSpec& data, int64_t trainFiles) {
    if (data.trainSubset > 0) return data.trainSubset;
    return std::max<int64_t>(2, trainFiles - (data.name == "synthetic" ? 0 : data.valSize));
}

// An image folder's val_size and train_subset against its files: the parser checks them for the data sets
// whose size it knows, but must not list a folder of a million files at every keystroke; describe runs in the
// background, so it does.
void checkFolderSplits(const spec::DataSpec& data, int64_t trainFiles, std::vector<spec::SpecError>& errors) {
    if (data.name != "folder" || trainFiles == 0) return;
    const std::string files = std::to_string(trainFiles) + " images of " + data.root + "/train";
    if (data.valSize >= trainFiles)
        errors.push_back({"data.val_size", "must be 0.." + std::to_string(trainFiles - 1) + ": the validation split is " +
                                               "taken from the " + files + " and at least one must remain for training"});
    else if (data.trainSubset > trainFiles - data.valSize)
        errors.push_back({"data.train_subset", "must be 0.." + std::to_string(trainFiles - data.valSize) + ": the " +
                                                   files + " less the " + std::to_string(data.valSize) +
                                                   " of val_size; 0 = all of them"});
}

// What the method inserts at a spot. Convolutional connectors map the student's channels onto the
// teacher's, so the channel counts are appended when the text does not give them already.
std::string connectorText(const methods::Spot& spot, int64_t studentStage, int64_t teacherStage,
                          const models::StagedNet& student, const models::StagedNet* teacher) {
    if (spot.connector.empty()) return "none";
    const bool mapsStudentChannels = spot.connector.find("conv") != std::string::npos &&
                                     spot.connector.find("→") == std::string::npos &&
                                     spot.connector.find("adaptive module") == std::string::npos;
    if (!teacher || !mapsStudentChannels || studentStage < 0 || teacherStage < 0) return spot.connector;
    return spot.connector + ", " + std::to_string(student.stageChannels(studentStage)) + "→" +
           std::to_string(teacher->stageChannels(teacherStage));
}

// One part of a spec that does not parse as a whole: the JSON's members `keys` (and `extra`) parsed
// alone, so that a wrong learning rate does not hide the pair.
std::optional<spec::RunSpec> parsePart(const json& root, const std::vector<std::string>& keys, json extra = json::object()) {
    for (const auto& key : keys)
        if (root.contains(key)) extra[key] = root[key];
    auto parsed = spec::parseRunSpec(extra);
    return parsed.ok() ? parsed.spec : std::nullopt;
}

// The teacher as describe shows it: a TorchScript file by its name, with the parameters counted in
// the file (the jit module's are not the StagedNet's own).
spec::NetDescription teacherDescription(const TeacherNet& built, const spec::TeacherSpec& teacher,
                                        const spec::DataShape& shape) {
    if (teacher.torchscript.empty())
        return describeNet(built.model, *built.net, parameterCount(*built.net), shape);
    int64_t parameters = 0;
    for (const auto& p : torch::jit::load(teacher.torchscript, torch::kCPU).parameters()) parameters += p.numel();
    const std::string file = std::filesystem::path(teacher.torchscript).filename().string();
    return describeNet("torchscript " + file, *built.net, parameters, shape);
}

std::vector<spec::SpotDescription> describeSpots(const spec::RunSpec& runSpec, const spec::DataShape& shape,
                                                 int64_t trainFiles, models::StagedNet* teacher,
                                                 models::StagedNet& student) {
    methods::DistillerContext context;
    context.channels = shape.channels;
    context.height = shape.height;
    context.width = shape.width;
    context.epochs = runSpec.epochs;
    context.trainSize = estimatedTrainSize(runSpec.data, trainFiles);
    context.seed = uint64_t(runSpec.seed);
    const auto distiller = methods::createDistiller(runSpec.method, teacher, student, context);
    const auto resolve = [](int64_t stage, const models::StagedNet* net) {
        return stage == methods::Spot::kLastStage && net ? net->numStages() - 1 : stage;
    };
    std::vector<spec::SpotDescription> spots;
    for (const auto& spot : distiller->spots()) {
        const int64_t s = resolve(spot.studentStage, &student), t = resolve(spot.teacherStage, teacher);
        spots.push_back({spot.name, t, s, connectorText(spot, s, t, student, teacher)});
    }
    return spots;
}

}  // namespace

int64_t parameterCount(torch::nn::Module& net) {
    int64_t count = 0;
    for (const auto& p : net.parameters()) count += p.numel();
    return count;
}

spec::NetDescription describeNet(const std::string& model, models::StagedNet& net, int64_t parameters,
                                 const spec::DataShape& shape) {
    spec::NetDescription description{model, parameters, {}};
    if (net.numStages() > 0) {
        torch::NoGradGuard noGrad;
        models::EvalModeScope eval(net);
        const auto features = net.forwardFeatures(torch::zeros({1, shape.channels, shape.height, shape.width}));
        for (const auto& s : features.stages) description.stages.push_back({s.size(1), s.size(2), s.size(3)});
    }
    return description;
}

spec::PairDescription describePair(const std::string& specText, const std::string& db) {
    spec::PairDescription out;
    spec::JsonText parsed = spec::parseJsonText(specText);
    if (!parsed.ok()) {
        out.errors = {*parsed.error};
        return out;
    }
    const json root = std::move(parsed.value);
    const auto whole = spec::parseRunSpec(root);
    out.errors = whole.errors;

    // The pair and the method are drawn even while another field is wrong; each part that parses
    // on its own is used.
    std::optional<spec::RunSpec> runSpec = whole.spec;
    if (!runSpec) runSpec = parsePart(root, {"data", "teacher", "student", "method"});
    const auto data = runSpec ? runSpec : parsePart(root, {"data"});
    const spec::DataShape shape = spec::dataShape(data ? data->data : spec::DataSpec{});
    const int64_t trainFiles = data ? trainFileCount(data->data) : 0;
    if (data) checkFolderSplits(data->data, trainFiles, out.errors);
    const std::optional<spec::RunSpec> studentPart = runSpec ? runSpec : parsePart(root, {"student"});
    const std::optional<spec::RunSpec> teacherPart =
        runSpec ? runSpec
                : (root.is_object() && root.contains("teacher") ? parsePart(root, {"teacher"}, {{"method", {{"name", "kd"}}}})
                                                                : std::nullopt);

    torch::NoGradGuard noGrad;
    std::shared_ptr<models::StagedNet> student, teacher;
    if (studentPart) {
        student = models::createModel(studentPart->studentModel, shape.channels, shape.numClasses);
        out.student = describeNet(studentPart->studentModel, *student, parameterCount(*student), shape);
    }
    if (teacherPart && teacherPart->teacher.present()) {
        const spec::TeacherSpec& teacherSpec = teacherPart->teacher;
        collectError(out.errors, "teacher", [&] {
            std::unique_ptr<store::Store> store;
            if ((teacherSpec.runId || !teacherSpec.runName.empty()) && !db.empty())
                store = std::make_unique<store::Store>(db, /*readOnly=*/true);
            const TeacherNet built = createTeacherNet(store.get(), teacherSpec, shape);
            out.teacher = teacherDescription(built, teacherSpec, shape);
            teacher = built.net;
        });
    }
    if (runSpec && student && (teacher || !runSpec->teacher.present()))
        collectError(out.errors, "method.name",
                     [&] { out.spots = describeSpots(*runSpec, shape, trainFiles, teacher.get(), *student); });
    return out;
}

}  // namespace distillery::engine
