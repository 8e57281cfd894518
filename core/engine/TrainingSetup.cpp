#include "engine/TrainingSetup.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "data/DataLoading.h"
#include "data/ImageFolder.h"
#include "engine/Device.h"
#include "engine/OptimizerFactory.h"
#include "engine/StateDictImport.h"
#include "models/ModelRegistry.h"

namespace distillery::engine {

data::DatasetSplits loadRunData(const spec::RunSpec& spec) {
    const auto& d = spec.data;
    if (d.name == "synthetic") {
        data::SyntheticOptions o;
        o.channels = d.channels;
        o.height = d.height;
        o.width = d.width;
        o.numClasses = d.numClasses;
        o.trainSize = d.trainSize;
        o.testSize = d.testSize;
        o.seed = static_cast<uint64_t>(spec.seed);
        return data::makeSynthetic(o, d.valSize);
    }
    // The validation split is drawn with a fixed seed, so every run of a study sees the same split
    // whatever its training seed.
    if (d.name == "folder") {
        data::ImageFolderOptions o;
        o.imageSize = d.imageSize;
        o.computedStatistics = d.normalize == "computed";
        o.workers = d.workers;
        o.skipBadImages = d.onBadImage == "skip";
        return data::loadImageFolder(d.root, d.valSize, d.trainSubset, 0, o);
    }
    return data::loadNamedDataset(d.name, d.root, d.valSize, d.trainSubset, 0);
}

TrainingSetup setUpTraining(const spec::RunSpec& spec, int64_t defaultThreads, const store::Store& store,
                            const std::function<void(const LoadedTeacher&)>& onTeacher) {
    TrainingSetup s;
    s.threads = spec.threads > 0     ? spec.threads
                : defaultThreads > 0 ? defaultThreads
                                     : std::max<int64_t>(1, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(s.threads));   // Debian's LibTorch starts with one thread
    torch::manual_seed(static_cast<uint64_t>(spec.seed));
    s.device = resolveDevice(spec.device);
    s.precision = resolvePrecision(spec.precision, s.device);

    s.splits = loadRunData(spec);
    if (s.splits.train.size() == 0) throw data::DataError("data: the training split is empty; lower data.val_size");
    for (data::Dataset* split : {&s.splits.train, &s.splits.val, &s.splits.test}) {
        if (!split->streamed()) split->images = split->images.to(s.device);   // a folder's images stay files
        split->labels = split->labels.to(s.device);
    }
    const auto& train = s.splits.train;

    s.student = models::createModel(spec.studentModel, train.channels(), train.numClasses);
    s.student->to(s.device);
    if (s.precision.channelsLast) toChannelsLast(*s.student);

    if (spec.teacher.present()) {
        const spec::DataShape shape{train.channels(), train.height(), train.width(), train.numClasses};
        LoadedTeacher loaded = loadTeacher(store, spec.teacher, shape, s.device);
        s.teacher = loaded.net;
        if (s.precision.channelsLast) toChannelsLast(*s.teacher);
        onTeacher(loaded);
    }
    const int64_t n = train.size();
    s.batch = std::min(spec.batchSize, n);
    s.stepsPerEpoch = std::max<int64_t>(1, n / s.batch);
    if (spec.maxStepsPerEpoch > 0) s.stepsPerEpoch = std::min(s.stepsPerEpoch, spec.maxStepsPerEpoch);
    s.totalSteps = s.stepsPerEpoch * spec.epochs;

    methods::DistillerContext context{train.size(), train.channels(), train.height(), train.width(), spec.epochs};
    context.totalSteps = s.totalSteps;
    context.seed = static_cast<uint64_t>(spec.seed);
    context.forwardType = s.precision.computeType;
    s.distiller = methods::createDistiller(spec.method, s.teacher.get(), *s.student, context);
    s.distiller->setLabelSmoothing(spec.optim.labelSmoothing);
    s.distiller->to(s.device);
    if (s.teacher && s.distiller->needsFeatures() && s.teacher->numStages() == 0)
        throw std::runtime_error("teacher.stages: method " + spec.method.name + " distils features, so the TorchScript "
                                 "teacher needs stem, stages and classifier naming its submodules");

    s.parameters = s.student->parameters();
    for (auto& p : s.distiller->studentParameters()) s.parameters.push_back(p);
    s.optimizer = makeOptimizer(spec.optim, s.parameters);
    if (s.precision.scalesLoss()) s.lossScaler = std::make_unique<LossScaler>(s.device);
    s.schedule = std::make_unique<LearningRateSchedule>(spec.optim, spec.schedule, s.stepsPerEpoch, spec.epochs);
    return s;
}

std::string initialiseStudent(const spec::RunSpec& spec, TrainingSetup& setup) {
    if (spec.studentInit.empty()) return "";
    const auto& train = setup.splits.train;
    const std::string network = spec.studentModel + " (" + std::to_string(train.channels()) + " input channels, " +
                                std::to_string(train.numClasses) + " classes)";
    const ImportedStateDict imported = importStateDict(*setup.student, network, spec.studentInit, "student.init");
    return "student " + spec.studentModel + " starts from " + imported.describe(spec.studentInit);
}

}  // namespace distillery::engine
