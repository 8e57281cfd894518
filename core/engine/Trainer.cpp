#include "engine/Trainer.h"

#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "data/DataLoading.h"
#include "engine/Checkpoint.h"
#include "engine/Device.h"
#include "methods/Distiller.h"
#include "models/ModelRegistry.h"

namespace distillery::engine {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> Trainer::stop_{false};

void Trainer::requestStop() { stop_.store(true); }
bool Trainer::stopRequested() { return stop_.load(); }
void Trainer::clearStop() { stop_.store(false); }

std::string Trainer::defaultCheckpointDir(const std::string& storePath, int64_t runId) {
    return storePath + ".checkpoints/run-" + std::to_string(runId);
}

namespace {

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

data::DatasetSplits loadData(const spec::RunSpec& spec) {
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
    // fashion-mnist's default root is Debian's dataset-fashion-mnist package; mnist needs a root.
    std::string root = d.root;
    if (root.empty() && d.name == "fashion-mnist") root = data::kDefaultFashionMnistRoot;
    if (root.empty())
        throw data::DataError("data.root: the " + d.name + " data set has no default location; set \"root\" to the "
                              "folder holding train-images-idx3-ubyte.gz and the other IDX files");
    // The validation split is drawn with a fixed seed, so every run of a study sees the same split
    // whatever its training seed.
    return data::loadIdxDataset(d.name, root, d.valSize, d.trainSubset, 0);
}

struct TeacherSource {
    std::string model;
    std::string checkpoint;
    std::string description;
};

TeacherSource resolveTeacher(const store::Store& store, const spec::TeacherSpec& t) {
    if (!t.checkpoint.empty()) {
        if (!fs::exists(t.checkpoint))
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

struct EvalResult {
    double loss = 0;
    double acc1 = 0;
};

EvalResult evaluate(models::StagedNet& net, const data::Dataset& split, const c10::Device& device, int64_t batchSize) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = net.is_training();
    net.eval();
    auto lossSum = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
    auto correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
    const int64_t n = split.size();
    for (int64_t begin = 0; begin < n; begin += batchSize) {
        const int64_t count = std::min(batchSize, n - begin);
        const auto x = data::normalise(split.images.narrow(0, begin, count), split, device);
        const auto y = split.labels.narrow(0, begin, count);
        const auto logits = net.forward(x);
        lossSum += torch::nn::functional::cross_entropy(
                       logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .to(torch::kDouble);
        correct += logits.argmax(1).eq(y).sum();
    }
    net.train(wasTraining);
    if (n == 0) return {};
    return {lossSum.item<double>() / n, 100.0 * correct.item<int64_t>() / n};
}

}  // namespace

struct Trainer::State {
    store::StoreWriter writer;
    Clock::time_point started = Clock::now();
    double wallOffset = 0;   // wall time already spent before a resume
    explicit State(store::Store& store) : writer(store) {}
    double wall() const { return wallOffset + secondsSince(started); }
};

Trainer::Trainer(store::Store& store, int64_t runId, spec::RunSpec spec, TrainerOptions options)
    : store_(store), runId_(runId), spec_(std::move(spec)), options_(std::move(options)) {
    if (options_.checkpointDir.empty()) options_.checkpointDir = defaultCheckpointDir(store_.path(), runId_);
}

Trainer::~Trainer() = default;

Outcome Trainer::run() {
    try {
        return train();
    } catch (const std::exception& e) {
        error_ = e.what();
        // c10::Error carries a C++ backtrace after its first line: the user needs the first line.
        if (dynamic_cast<const c10::Error*>(&e)) {
            const auto& c10error = static_cast<const c10::Error&>(e);
            error_ = c10error.what_without_backtrace();
        }
    }
    spdlog::error("run {} failed: {}", runId_, error_);
    try {
        store::StoreWriter writer(store_);
        writer.addEvent(runId_, "error", error_);
        writer.flush();
        store_.finishRun(runId_, store::RunStatus::Failed, error_);
    } catch (const std::exception& e) {
        spdlog::error("could not record the failure in the store: {}", e.what());
    }
    return Outcome::Failed;
}

Outcome Trainer::train() {
    const auto& spec = spec_;
    State state(store_);
    auto log = [&](const std::string& level, const std::string& message) {
        if (level == "warn") spdlog::warn("{}", message);
        else spdlog::info("{}", message);
        state.writer.addEvent(runId_, level, message);
    };

    // ---- set-up ---------------------------------------------------------------------------------
    const int64_t threads = spec.threads > 0 ? spec.threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(threads));   // Debian's LibTorch starts with one thread
    torch::manual_seed(static_cast<uint64_t>(spec.seed));
    const c10::Device device = resolveDevice(spec.device);

    data::DatasetSplits splits = loadData(spec);
    if (splits.train.size() == 0) throw data::DataError("data: the training split is empty; lower data.val_size");
    splits.train.images = splits.train.images.to(device);
    splits.train.labels = splits.train.labels.to(device);
    splits.val.images = splits.val.images.to(device);
    splits.val.labels = splits.val.labels.to(device);
    splits.test.images = splits.test.images.to(device);
    splits.test.labels = splits.test.labels.to(device);
    const auto& train = splits.train;

    auto student = models::createModel(spec.studentModel, train.channels(), train.numClasses);
    student->to(device);

    std::shared_ptr<models::StagedNet> teacher;
    if (spec.teacher.present()) {
        const TeacherSource source = resolveTeacher(store_, spec.teacher);
        teacher = models::createModel(source.model, train.channels(), train.numClasses);
        loadModuleWeights(*teacher, source.checkpoint, "teacher (" + source.description + ")");
        teacher->to(device);
        teacher->eval();
        for (auto& p : teacher->parameters()) p.set_requires_grad(false);
        store_.setRunTeacher(runId_, source.model);
        log("info", "teacher " + source.model + " from " + source.description);
    }
    auto distiller = methods::createDistiller(spec.method, teacher.get(), *student);
    distiller->to(device);

    std::vector<torch::Tensor> parameters = student->parameters();
    for (auto& p : distiller->parameters()) parameters.push_back(p);
    torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(spec.optim.lr)
                                                .momentum(spec.optim.momentum)
                                                .weight_decay(spec.optim.weightDecay)
                                                .nesterov(spec.optim.nesterov));

    const int64_t n = train.size();
    const int64_t batch = std::min(spec.batchSize, n);
    int64_t stepsPerEpoch = std::max<int64_t>(1, n / batch);   // the ragged last batch is dropped
    if (spec.maxStepsPerEpoch > 0) stepsPerEpoch = std::min(stepsPerEpoch, spec.maxStepsPerEpoch);
    const int64_t totalSteps = stepsPerEpoch * spec.epochs;

    // ---- resume -------------------------------------------------------------------------------
    TrainingPosition position;
    at::Generator augmentGenerator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed) + 1);
    fs::create_directories(options_.checkpointDir);
    const std::string lastPath = options_.checkpointDir + "/last.pt";
    const std::string bestPath = options_.checkpointDir + "/best.pt";
    if (options_.resume) {
        std::string from;
        for (const auto& c : store_.checkpoints(runId_))
            if (c.kind == "last") from = c.path;
        if (from.empty())
            throw std::runtime_error("resume: run " + std::to_string(runId_) + " has no checkpoint yet; start it again "
                                     "with `distillery-engine run --run " + std::to_string(runId_) + "` after requeueing");
        position = loadCheckpoint(from, *student, *distiller, optimizer, augmentGenerator);
        state.wallOffset = position.wallTime;
        log("info", "resumed from " + from + " at epoch " + std::to_string(position.epoch + 1) + ", step " +
                        std::to_string(position.step));
    }

    log("info", "training " + spec.studentModel + " with " + spec.method.name + " on " + train.name + " (" +
                    std::to_string(n) + " train / " + std::to_string(splits.val.size()) + " val / " +
                    std::to_string(splits.test.size()) + " test images), " + std::to_string(spec.epochs) +
                    " epochs × " + std::to_string(stepsPerEpoch) + " steps, batch " + std::to_string(batch) + ", " +
                    device.str() + ", " + std::to_string(threads) + " threads");
    state.writer.flush();

    // ---- loop ---------------------------------------------------------------------------------
    Progress progress;
    progress.runId = runId_;
    progress.runName = spec.name;
    progress.epochs = spec.epochs;
    progress.totalSteps = totalSteps;
    auto lastReport = Clock::now() - std::chrono::hours(1);
    int64_t stepsAtStart = position.step;
    auto throughputStart = Clock::now();
    int64_t imagesSinceThroughputStart = 0;

    auto report = [&](bool force) {
        if (!options_.progress) return;
        if (!force && secondsSince(lastReport) < options_.progressIntervalSeconds) return;
        const double elapsed = secondsSince(state.started);
        const int64_t done = progress.step - stepsAtStart;
        progress.fraction = totalSteps > 0 ? double(progress.step) / totalSteps : 1.0;
        progress.etaSeconds = done > 0 ? elapsed / done * double(totalSteps - progress.step) : 0;
        const double window = secondsSince(throughputStart);
        if (window > 0.5) {
            progress.imagesPerSecond = imagesSinceThroughputStart / window;
            throughputStart = Clock::now();
            imagesSinceThroughputStart = 0;
        }
        options_.progress->report(progress);
        lastReport = Clock::now();
    };

    std::map<std::string, torch::Tensor> windowLoss;   // sums over the logging window, on the device
    torch::Tensor windowTotal = torch::zeros({}, torch::TensorOptions().device(device));
    torch::Tensor windowCorrect = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
    int64_t windowSteps = 0, windowImages = 0;

    auto writeMetric = [&](const std::string& key, int64_t step, double epoch, double value) {
        state.writer.add(store::MetricPoint{runId_, key, step, epoch, value, state.wall()});
    };

    auto saveLast = [&](int64_t epoch, int64_t batchInEpoch) {
        const TrainingPosition here{epoch, batchInEpoch, progress.step, position.bestValAcc, state.wall()};
        saveCheckpoint(lastPath, *student, *distiller, optimizer, augmentGenerator, here);
        store_.addCheckpoint({0, runId_, progress.step, epoch, lastPath, "last", position.bestValAcc, 0});
    };

    student->train();
    progress.step = position.step;
    for (int64_t epoch = position.epoch; epoch < spec.epochs; ++epoch) {
        progress.epoch = epoch + 1;
        progress.phase = "train";
        // Multistep schedule: lr = base · gamma^(milestones passed).
        double lr = spec.optim.lr;
        if (spec.schedule.name == "multistep")
            for (int64_t m : spec.schedule.milestones)
                if (epoch >= m) lr *= spec.schedule.gamma;
        for (auto& group : optimizer.param_groups())
            static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);

        // The order of an epoch depends on (seed, epoch) only, so a resumed run sees the same batches.
        auto orderGenerator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed) * 1000003u +
                                                                       static_cast<uint64_t>(epoch));
        const auto order = torch::randperm(n, orderGenerator, torch::TensorOptions().dtype(torch::kLong)).to(device);
        const int64_t firstBatch = epoch == position.epoch ? position.batchInEpoch : 0;

        for (int64_t b = firstBatch; b < stepsPerEpoch; ++b) {
            if (stopRequested()) {
                saveLast(epoch, b);
                state.writer.addEvent(runId_, "info", "cancelled at epoch " + std::to_string(epoch + 1) + ", step " +
                                                          std::to_string(progress.step) + "; checkpoint " + lastPath);
                state.writer.flush();
                store_.finishRun(runId_, store::RunStatus::Killed,
                                 "cancelled at epoch " + std::to_string(epoch + 1) + ", step " +
                                     std::to_string(progress.step) + "; continue with: distillery-engine resume --db " +
                                     store_.path() + " --run " + std::to_string(runId_));
                progress.phase = "killed";
                if (options_.progress) options_.progress->finish(progress);
                return Outcome::Killed;
            }
            const auto index = order.narrow(0, b * batch, batch);
            auto images = data::normalise(train.images.index_select(0, index), train, device);
            if (spec.data.augment) images = data::augment(images, spec.data.pad, true, augmentGenerator);
            const auto labels = train.labels.index_select(0, index);

            models::FeatureSet studentOut, teacherOut;
            if (teacher) {
                torch::NoGradGuard noGrad;
                if (distiller->needsFeatures()) teacherOut = teacher->forwardFeatures(images);
                else teacherOut.logits = teacher->forward(images);
            }
            if (distiller->needsFeatures()) studentOut = student->forwardFeatures(images);
            else studentOut.logits = student->forward(images);

            const methods::StepInputs inputs{studentOut, teacher ? &teacherOut : nullptr, labels, progress.step, epoch};
            const auto terms = distiller->losses(inputs);
            torch::Tensor total = terms.front().value;
            for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].value;

            optimizer.zero_grad();
            total.backward();
            optimizer.step();
            ++progress.step;

            for (const auto& term : terms) {
                auto& sum = windowLoss[term.name];
                sum = sum.defined() ? sum + term.value.detach() : term.value.detach().clone();
            }
            windowTotal += total.detach();
            windowCorrect += studentOut.logits.detach().argmax(1).eq(labels).sum();
            ++windowSteps;
            windowImages += batch;
            imagesSinceThroughputStart += batch;

            const bool logPoint = progress.step % spec.logEvery == 0 || b + 1 == stepsPerEpoch;
            if (logPoint) {
                // The only host synchronisation of the loop: once per logging window.
                const double meanLoss = windowTotal.item<double>() / windowSteps;
                if (!std::isfinite(meanLoss)) {
                    throw std::runtime_error("the training loss became " + std::to_string(meanLoss) + " at step " +
                                             std::to_string(progress.step) + " (epoch " + std::to_string(epoch + 1) +
                                             "); lower optim.lr (now " + std::to_string(lr) +
                                             ") or check the data. Metrics up to the previous step are kept.");
                }
                const double epochPosition = epoch + double(b + 1) / stepsPerEpoch;
                writeMetric("train/loss", progress.step, epochPosition, meanLoss);
                for (auto& [name, sum] : windowLoss)
                    writeMetric("train/loss/" + name, progress.step, epochPosition, sum.item<double>() / windowSteps);
                const double trainAcc = 100.0 * windowCorrect.item<int64_t>() / windowImages;
                writeMetric("train/acc1", progress.step, epochPosition, trainAcc);
                writeMetric("lr", progress.step, epochPosition, lr);
                progress.loss = meanLoss;
                progress.trainAcc = trainAcc;
                windowLoss.clear();
                windowTotal.zero_();
                windowCorrect.zero_();
                windowSteps = windowImages = 0;
                state.writer.flushIfDue();
            }
            if (secondsSince(lastReport) >= options_.progressIntervalSeconds) {
                store_.heartbeat(runId_, double(progress.step) / totalSteps);
                report(true);
            }
        }

        // ---- end of epoch: evaluate, checkpoint ---------------------------------------------------
        progress.phase = "eval";
        report(true);
        const EvalResult val = evaluate(*student, splits.val, device, spec.evalBatchSize);
        const EvalResult test = evaluate(*student, splits.test, device, spec.evalBatchSize);
        const double epochDone = epoch + 1;
        if (splits.val.size() > 0) {
            writeMetric("val/acc1", progress.step, epochDone, val.acc1);
            writeMetric("val/loss", progress.step, epochDone, val.loss);
        }
        writeMetric("test/acc1", progress.step, epochDone, test.acc1);
        writeMetric("test/loss", progress.step, epochDone, test.loss);
        writeMetric("epoch_time", progress.step, epochDone, state.wall());
        progress.valAcc = splits.val.size() > 0 ? val.acc1 : test.acc1;

        // Model selection uses the validation split; the test set is only reported.
        const double selection = splits.val.size() > 0 ? val.acc1 : -test.loss;
        const bool improved = epoch == 0 || selection > position.bestValAcc;
        if (improved) position.bestValAcc = selection;
        saveLast(epoch + 1, 0);
        if (improved) {
            fs::copy_file(lastPath, bestPath, fs::copy_options::overwrite_existing);
            store_.addCheckpoint({0, runId_, progress.step, epoch + 1, bestPath, "best", selection, 0});
        }
        if (spec.checkpointEvery > 0 && (epoch + 1) % spec.checkpointEvery == 0) {
            const std::string periodic = options_.checkpointDir + "/epoch-" + std::to_string(epoch + 1) + ".pt";
            fs::copy_file(lastPath, periodic, fs::copy_options::overwrite_existing);
            store_.addCheckpoint({0, runId_, progress.step, epoch + 1, periodic, "periodic", selection, 0});
        }
        char line[200];
        std::snprintf(line, sizeof line, "epoch %lld/%lld: val acc %.2f%%, test acc %.2f%%, train loss %.4f",
                      static_cast<long long>(epoch + 1), static_cast<long long>(spec.epochs), val.acc1, test.acc1,
                      progress.loss);
        log("info", line);
        state.writer.flush();
        store_.heartbeat(runId_, double(progress.step) / totalSteps);
    }

    state.writer.flush();
    store_.finishRun(runId_, store::RunStatus::Finished);
    progress.phase = "done";
    progress.fraction = 1;
    progress.etaSeconds = 0;
    if (options_.progress) options_.progress->finish(progress);
    return Outcome::Finished;
}

}  // namespace distillery::engine
