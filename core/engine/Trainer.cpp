#include "engine/Trainer.h"

#include <torch/torch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <thread>

#include "data/DataLoading.h"
#include "engine/Checkpoint.h"
#include "engine/CheckpointFile.h"
#include "engine/CrashPoints.h"
#include "engine/NonFiniteWatch.h"
#include "engine/Precision.h"
#include "engine/Device.h"
#include "engine/Evaluator.h"
#include "engine/LearningRateSchedule.h"
#include "engine/LogWindow.h"
#include "engine/OptimizerFactory.h"
#include "engine/TeacherLoader.h"
#include "methods/Distiller.h"
#include "models/ModelRegistry.h"
#include "spec/Catalog.h"

namespace distillery::engine {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> Trainer::stop_{false};

void Trainer::requestStop() { stop_.store(true); }
bool Trainer::stopRequested() { return stop_.load(); }
void Trainer::clearStop() { stop_.store(false); }

std::string Trainer::defaultCheckpointDir(const std::string& storePath, int64_t runId) {
    // Absolute: the store records it, and the GUI or a resume may run from another folder.
    return std::filesystem::absolute(storePath + ".checkpoints/run-" + std::to_string(runId)).string();
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
    // The validation split is drawn with a fixed seed, so every run of a study sees the same split
    // whatever its training seed.
    return data::loadNamedDataset(d.name, d.root, d.valSize, d.trainSubset, 0);
}

// The store says another engine trains this run now: stop without writing anything more.
class OwnershipLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

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
    } catch (const OwnershipLost& e) {
        error_ = e.what();
        spdlog::error("{}", error_);
        return Outcome::Failed;   // the run's row belongs to its new engine: leave it alone
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

std::string Trainer::resumeCheckpoint(const std::string& lastPath, std::vector<std::string>& rejected) const {
    // The newest first: this run's last.pt, the one it replaced, then what the store records (a
    // checkpoint folder given on an earlier command line, or a store moved with its checkpoints).
    std::vector<std::string> candidates = {lastPath, previousCheckpointPath(lastPath)};
    for (const auto& c : store_.checkpoints(runId_))
        if (c.kind == "last") {
            candidates.push_back(c.path);
            candidates.push_back(previousCheckpointPath(c.path));
        }
    std::set<std::string> tried;
    for (const auto& candidate : candidates) {
        if (!tried.insert(candidate).second || !fs::exists(candidate)) continue;
        try {
            readCheckpointFile(candidate);
            return candidate;
        } catch (const CheckpointError& e) {
            rejected.push_back(e.what());
        }
    }
    return {};
}

void Trainer::startAfresh(store::StoreWriter& writer) {
    // Rows and files of earlier attempts would otherwise mix with this one's, and a later resume
    // could continue from a checkpoint of an attempt that no longer counts.
    const store::DiscardedRows discarded = store_.discardAfter(runId_, -1);
    std::error_code error;
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(options_.checkpointDir, error))
        if (entry.path().extension() == ".pt" || entry.path().extension() == ".prev" ||
            entry.path().extension() == ".damaged")
            files += fs::remove(entry.path(), error) ? 1 : 0;
    if (discarded.total() > 0 || files > 0)
        writer.addEvent(runId_, "info", "starting from the beginning: removed " + std::to_string(discarded.total()) +
                                            " rows and " + std::to_string(files) + " checkpoint files of earlier attempts");
}

void Trainer::reconcileCheckpointRows(const std::string& from, const std::string& lastPath, const std::string& bestPath,
                                      const TrainingPosition& position) {
    std::error_code error;
    if (from != lastPath && fs::exists(lastPath, error)) {
        // last.pt failed verification: set it aside, so that the next checkpoint does not keep it as
        // the previous one in place of the good file this resume continues from.
        fs::rename(lastPath, lastPath + ".damaged", error);
    }
    // A kill can fall between writing a checkpoint file and recording it: the files are the truth.
    store_.addCheckpoint({0, runId_, position.step, position.epoch, from, "last", position.bestValAcc, 0});
    // best.pt ahead of the resume point belongs to the discarded attempt: the one it replaced is the
    // best as of the checkpoint (the attempt, computed again, writes the same best.pt again).
    const auto bestStep = verifiedCheckpointStep(bestPath);
    if (bestStep && *bestStep > position.step) {
        const std::string previous = previousCheckpointPath(bestPath);
        const auto previousStep = verifiedCheckpointStep(previous);
        if (previousStep && *previousStep <= position.step) fs::rename(previous, bestPath, error);
        else fs::remove(bestPath, error);
    }
    if (verifiedCheckpointStep(bestPath)) {
        const TrainingPosition best = readCheckpointPosition(bestPath);
        store_.addCheckpoint({0, runId_, best.step, best.epoch, bestPath, "best", best.bestValAcc, 0});
    }
}

Outcome Trainer::train() {
    const auto& spec = spec_;
    State state(store_);
    // Events about the run's lifecycle carry no step; those reporting training progress carry the
    // step they describe, so a resume can drop the ones of an attempt it discards.
    auto log = [&](const std::string& level, const std::string& message, std::optional<int64_t> step = std::nullopt) {
        if (level == "warn") spdlog::warn("{}", message);
        else spdlog::info("{}", message);
        state.writer.addEvent(runId_, level, message, step);
    };
    OwnerHeartbeat heartbeat(store_.path(), runId_, options_.owner);
    // Diagnostic rows holding NaN or infinity are left out by the store; say so once per batch of them.
    size_t notedSkipped = 0;
    auto noteSkippedRows = [&](int64_t step) {
        state.writer.flush();
        const size_t skipped = state.writer.skipped().skippedDiagnostics;
        if (skipped == notedSkipped) return;
        log("warn", std::to_string(skipped - notedSkipped) + " diagnostic rows held NaN or infinity and were not "
                    "stored (" + std::to_string(skipped) + " so far); the other rows are", step);
        notedSkipped = skipped;
    };

    // ---- set-up ---------------------------------------------------------------------------------
    const int64_t threads = spec.threads > 0     ? spec.threads
                            : options_.threads > 0 ? options_.threads
                                                   : std::max<int64_t>(1, std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(threads));   // Debian's LibTorch starts with one thread
    torch::manual_seed(static_cast<uint64_t>(spec.seed));
    const c10::Device device = resolveDevice(spec.device);
    const Precision precision = resolvePrecision(spec.precision, device);

    data::DatasetSplits splits = loadData(spec);
    if (splits.train.size() == 0) throw data::DataError("data: the training split is empty; lower data.val_size");
    for (data::Dataset* split : {&splits.train, &splits.val, &splits.test}) {
        split->images = split->images.to(device);
        split->labels = split->labels.to(device);
    }
    const auto& train = splits.train;

    auto student = models::createModel(spec.studentModel, train.channels(), train.numClasses);
    student->to(device);
    if (precision.channelsLast) toChannelsLast(*student);

    std::shared_ptr<models::StagedNet> teacher;
    if (spec.teacher.present()) {
        const spec::DataShape shape{train.channels(), train.height(), train.width(), train.numClasses};
        LoadedTeacher loaded = loadTeacher(store_, spec.teacher, shape, device);
        teacher = loaded.net;
        if (precision.channelsLast) toChannelsLast(*teacher);
        store_.setRunTeacher(runId_, loaded.model);
        log("info", "teacher " + loaded.model + " from " + loaded.description +
                        (loaded.foldedNorms > 0 ? ", " + std::to_string(loaded.foldedNorms) +
                                                      " batch norms folded into its convolutions"
                                                : std::string()));
    }
    const int64_t n = train.size();
    const int64_t batch = std::min(spec.batchSize, n);
    int64_t stepsPerEpoch = std::max<int64_t>(1, n / batch);   // the ragged last batch is dropped
    if (spec.maxStepsPerEpoch > 0) stepsPerEpoch = std::min(stepsPerEpoch, spec.maxStepsPerEpoch);
    const int64_t totalSteps = stepsPerEpoch * spec.epochs;

    methods::DistillerContext context{train.size(), train.channels(), train.height(), train.width(), spec.epochs};
    context.totalSteps = totalSteps;
    context.seed = static_cast<uint64_t>(spec.seed);
    context.forwardType = precision.computeType;
    auto distiller = methods::createDistiller(spec.method, teacher.get(), *student, context);
    distiller->setLabelSmoothing(spec.optim.labelSmoothing);
    distiller->to(device);
    if (teacher && distiller->needsFeatures() && teacher->numStages() == 0)
        throw std::runtime_error("teacher.stages: method " + spec.method.name + " distils features, so the TorchScript "
                                 "teacher needs stem, stages and classifier naming its submodules");

    std::vector<torch::Tensor> parameters = student->parameters();
    for (auto& p : distiller->studentParameters()) parameters.push_back(p);
    const auto optimizer = makeOptimizer(spec.optim, parameters);
    std::unique_ptr<LossScaler> lossScaler;
    if (precision.scalesLoss()) lossScaler = std::make_unique<LossScaler>(device);
    const LearningRateSchedule schedule(spec.optim, spec.schedule, stepsPerEpoch, spec.epochs);

    // ---- resume -------------------------------------------------------------------------------
    TrainingPosition position;
    LogWindow window;
    at::Generator augmentGenerator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed) + 1);
    const TrainingState trainingState{*student, *distiller, *optimizer, distiller->ownOptimizer(), augmentGenerator,
                                      window};
    fs::create_directories(options_.checkpointDir);
    const std::string lastPath = options_.checkpointDir + "/last.pt";
    const std::string bestPath = options_.checkpointDir + "/best.pt";
    if (options_.resume) {
        std::vector<std::string> rejected;
        const std::string from = resumeCheckpoint(lastPath, rejected);
        for (const auto& why : rejected) log("warn", why + "; looking for an older checkpoint");
        if (from.empty()) {
            log("warn", "run " + std::to_string(runId_) + " has no usable checkpoint yet: training it again from the "
                        "beginning");
            startAfresh(state.writer);
        } else {
            position = loadCheckpoint(from, trainingState, device);
            state.wallOffset = position.wallTime;
            const store::DiscardedRows discarded = store_.discardAfter(runId_, position.step);
            reconcileCheckpointRows(from, lastPath, bestPath, position);
            log("info", "resumed from " + from + " at epoch " + std::to_string(position.epoch + 1) + ", step " +
                            std::to_string(position.step) +
                            (discarded.total() > 0 ? "; removed " + std::to_string(discarded.total()) +
                                                         " rows the interrupted attempt wrote after that step"
                                                   : std::string()));
        }
    } else {
        startAfresh(state.writer);
    }

    log("info", "training " + spec.studentModel + " with " + spec.method.name + " on " + train.name + " (" +
                    std::to_string(n) + " train / " + std::to_string(splits.val.size()) + " val / " +
                    std::to_string(splits.test.size()) + " test images), " + std::to_string(spec.epochs) +
                    " epochs × " + std::to_string(stepsPerEpoch) + " steps, batch " + std::to_string(batch) + ", " +
                    spec.optim.name + ", " + device.str() + ", " + precision.name + " (" + precision.memoryFormat() +
                    "), " + std::to_string(threads) + " threads");
    store_.setRunEnvironment(runId_, threads, precision.name, precision.memoryFormat());
    state.writer.flush();

    // ---- progress -----------------------------------------------------------------------------
    Progress progress;
    progress.runId = runId_;
    progress.runName = spec.name;
    progress.epochs = spec.epochs;
    progress.totalSteps = totalSteps;
    progress.step = position.step;
    auto lastReport = Clock::now() - std::chrono::hours(1);
    auto lastCheckpoint = Clock::now();
    const bool skipNonFinite = spec.onNonFinite == "skip_step";
    NonFiniteWatch nonFinite;
    const int64_t stepsAtStart = position.step;
    auto throughputStart = Clock::now();
    int64_t imagesSinceThroughputStart = 0;

    auto report = [&]() {
        if (!options_.progress) return;
        const double elapsed = secondsSince(state.started);
        const int64_t done = progress.step - stepsAtStart;
        progress.fraction = totalSteps > 0 ? double(progress.step) / totalSteps : 1.0;
        progress.etaSeconds = done > 0 ? elapsed / done * double(totalSteps - progress.step) : 0;
        const double span = secondsSince(throughputStart);
        if (span > 0.5) {
            progress.imagesPerSecond = imagesSinceThroughputStart / span;
            throughputStart = Clock::now();
            imagesSinceThroughputStart = 0;
        }
        options_.progress->report(progress);
        lastReport = Clock::now();
    };

    auto writeMetric = [&](const std::string& key, int64_t step, double epoch, double value) {
        state.writer.add(store::MetricPoint{runId_, key, step, epoch, value, state.wall()});
    };
    // A checkpoint claims that everything up to its step is in the store: the writer's rows are
    // committed first. A kill after the commit and before the checkpoint is harmless, since a resume
    // removes what lies after the checkpoint it continues from and computes it again.
    auto checkpointHere = [&](int64_t epoch, int64_t batchInEpoch) {
        state.writer.flush();
        const TrainingPosition here{epoch, batchInEpoch, progress.step, position.bestValAcc, state.wall(),
                                    position.skippedSteps};
        return checkpointBytes(trainingState, here);
    };
    auto saveLast = [&](int64_t epoch, int64_t batchInEpoch) {
        writeFileAtomically(lastPath, checkpointHere(epoch, batchInEpoch), /*keepPrevious=*/true);
        store_.addCheckpoint({0, runId_, progress.step, epoch, lastPath, "last", position.bestValAcc, 0});
        lastCheckpoint = Clock::now();
    };
    auto checkOwnership = [&]() {
        if (!heartbeat.lost()) return;
        state.writer.discard();
        throw OwnershipLost("run " + std::to_string(runId_) + " was taken over by another engine or marked failed "
                            "while this engine trained it; this engine stopped at step " +
                            std::to_string(progress.step) + " without writing more");
    };
    // Diagnostic rows carry the step they describe; the writer batches them with the metrics.
    auto writeDiagnostics = [&](methods::Diagnostics d) {
        for (auto& row : d.gates) state.writer.add(store::GateRow{runId_, progress.step, row.spot, row.openRate});
        for (auto& row : d.gateClasses)
            state.writer.add(store::GateClassRow{runId_, progress.step, row.spot, row.classIndex, row.openRate});
        for (auto& row : d.channelStats) {
            row.runId = runId_;
            row.step = progress.step;
            state.writer.add(row);
        }
        for (auto& row : d.pathWeights) {
            row.runId = runId_;
            row.step = progress.step;
            state.writer.add(row);
        }
    };
    auto writeEval = [&](const std::string& split, const EvalResult& r, double epoch) {
        writeMetric(split + "/acc1", progress.step, epoch, r.acc1);
        writeMetric(split + "/acc5", progress.step, epoch, r.acc5);
        writeMetric(split + "/loss", progress.step, epoch, r.loss);
        if (r.agreement) writeMetric(split + "/agreement", progress.step, epoch, *r.agreement);
    };

    struct {
        at::Tensor val, test;
    } teacherPredictions;   // the frozen teacher's classes, computed at the first evaluation

    // ---- loop ---------------------------------------------------------------------------------
    student->train();
    for (int64_t epoch = position.epoch; epoch < spec.epochs; ++epoch) {
        progress.epoch = epoch + 1;
        progress.phase = "train";
        // The order of an epoch depends on (seed, epoch) only, so a resumed run sees the same batches.
        auto orderGenerator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(spec.seed) * 1000003u +
                                                                       static_cast<uint64_t>(epoch));
        const auto order = torch::randperm(n, orderGenerator, torch::TensorOptions().dtype(torch::kLong)).to(device);
        const int64_t firstBatch = epoch == position.epoch ? position.batchInEpoch : 0;

        for (int64_t b = firstBatch; b < stepsPerEpoch; ++b) {
            checkOwnership();
            if (stopRequested()) {
                saveLast(epoch, b);
                const std::string where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(progress.step);
                state.writer.addEvent(runId_, "info", "cancelled at " + where + "; checkpoint " + lastPath);
                state.writer.flush();
                store_.finishRun(runId_, store::RunStatus::Killed,
                                 "cancelled at " + where + "; continue with: distillery-engine resume --db " +
                                     store_.path() + " --run " + std::to_string(runId_));
                progress.phase = "killed";
                if (options_.progress) options_.progress->finish(progress);
                return Outcome::Killed;
            }
            const double lr = schedule.at(progress.step);
            setLearningRate(*optimizer, lr);

            const auto index = order.narrow(0, b * batch, batch);
            auto images = data::normalise(train.images.index_select(0, index), train, device);
            if (spec.data.augment) images = data::augment(images, spec.data.pad, true, augmentGenerator);
            images = inComputeLayout(images, precision);
            const auto labels = train.labels.index_select(0, index);

            // The networks' forward passes in the run's precision; the losses in float32.
            models::FeatureSet studentOut, teacherOut;
            {
                AutocastScope autocast(precision, device);
                if (teacher) {
                    torch::NoGradGuard noGrad;
                    if (distiller->needsFeatures()) teacherOut = teacher->forwardFeatures(images);
                    else teacherOut.logits = teacher->forward(images);
                }
                if (distiller->needsFeatures()) studentOut = student->forwardFeatures(images);
                else studentOut.logits = student->forward(images);
            }
            if (precision.autocast()) {
                teacherOut = inFloat32(std::move(teacherOut));
                studentOut = inFloat32(std::move(studentOut));
            }

            const bool diagnose = spec.diagnosticsEvery > 0 && (progress.step + 1) % spec.diagnosticsEvery == 0;
            methods::StepInputs inputs{studentOut, teacher ? &teacherOut : nullptr, labels, progress.step, epoch, index};
            inputs.images = &images;
            inputs.learningRate = lr;
            inputs.collectDiagnostics = diagnose;
            auto terms = distiller->losses(inputs);
            if (const std::string& poisoned = poisonedLossTerm(progress.step + 1); !poisoned.empty())
                for (auto& term : terms)
                    if (term.name == poisoned) term.value = term.value * std::numeric_limits<float>::quiet_NaN();
            torch::Tensor total = terms.front().value;
            for (size_t i = 1; i < terms.size(); ++i) total = total + terms[i].value;

            // With skip_step, a step whose loss is not finite changes nothing but the step count; deciding
            // before the update needs the value on the host: one synchronisation a step.
            const auto nonFiniteTerms = skipNonFinite ? NonFiniteWatch::nonFiniteTerms(terms, total)
                                                      : std::vector<std::string>{};
            if (!skipNonFinite) nonFinite.observe(terms, total, progress.step + 1);
            if (nonFiniteTerms.empty()) {
                optimizer->zero_grad();
                bool stepped = true;
                if (lossScaler) {
                    lossScaler->scale(total).backward();
                    stepped = lossScaler->unscale(parameters);   // an overflowed step is skipped; the scale halves
                } else {
                    total.backward();
                }
                crashPoint("step");
                if (stepped) {
                    if (spec.optim.gradClip > 0) torch::nn::utils::clip_grad_norm_(parameters, spec.optim.gradClip);
                    optimizer->step();
                }
                ++progress.step;
                window.add(terms, total, studentOut.logits.detach().argmax(1).eq(labels).sum(), batch);
                if (diagnose) writeDiagnostics(distiller->diagnostics());
            } else {
                ++progress.step;
                ++position.skippedSteps;
                std::string names;
                for (const auto& name : nonFiniteTerms) names += (names.empty() ? "" : ", ") + name;
                if (position.skippedSteps <= 10 || position.skippedSteps % 100 == 0)
                    log("warn", "step " + std::to_string(progress.step) + " skipped: the loss term" +
                                    (nonFiniteTerms.size() > 1 ? "s " : " ") + names + " not finite (" +
                                    std::to_string(position.skippedSteps) + " steps skipped so far)",
                        progress.step);
            }
            imagesSinceThroughputStart += batch;

            if (progress.step % spec.logEvery == 0 || b + 1 == stepsPerEpoch) {
                // The only host synchronisation of the loop: once per logging window.
                if (const auto problem = nonFinite.firstProblem()) {
                    char rate[32];
                    std::snprintf(rate, sizeof rate, "%g", lr);
                    throw std::runtime_error(*problem + " (epoch " + std::to_string(epoch + 1) + "); lower optim.lr (now " +
                                             rate + "), check the data, or set \"on_nonfinite\": \"skip_step\" to skip "
                                             "such steps. The metrics logged before it are kept.");
                }
                const double epochPosition = epoch + double(b + 1) / stepsPerEpoch;
                if (!window.empty()) {   // empty when every step of the window was skipped
                    const LogWindow::Means means = window.means();
                    writeMetric("train/loss", progress.step, epochPosition, means.total);
                    for (const auto& [name, value] : means.terms)
                        writeMetric("train/loss/" + name, progress.step, epochPosition, value);
                    writeMetric("train/acc1", progress.step, epochPosition, means.accuracy);
                    progress.loss = means.total;
                    progress.trainAcc = means.accuracy;
                }
                writeMetric("lr", progress.step, epochPosition, lr);
                if (skipNonFinite) writeMetric("train/skipped_steps", progress.step, epochPosition, position.skippedSteps);
                window.reset();
                state.writer.flushIfDue();
            }
            if (secondsSince(lastReport) >= options_.progressIntervalSeconds) {
                heartbeat.setProgress(double(progress.step) / totalSteps);
                report();
            }
            // checkpoint_minutes bounds the work a kill can lose; the epoch's end checkpoints anyway.
            if (spec.checkpointMinutes > 0 && b + 1 < stepsPerEpoch &&
                secondsSince(lastCheckpoint) >= spec.checkpointMinutes * 60.0)
                saveLast(epoch, b + 1);
        }

        // ---- end of epoch: evaluate, checkpoint ---------------------------------------------------
        progress.phase = "eval";
        report();
        if (teacher && !teacherPredictions.val.defined()) {
            teacherPredictions.val = predictions(*teacher, splits.val, device, spec.evalBatchSize, precision);
            teacherPredictions.test = predictions(*teacher, splits.test, device, spec.evalBatchSize, precision);
        }
        const EvalResult val = evaluate(*student, teacher ? &teacherPredictions.val : nullptr, splits.val, device,
                                        spec.evalBatchSize, precision);
        crashPoint("eval");
        const EvalResult test = evaluate(*student, teacher ? &teacherPredictions.test : nullptr, splits.test, device,
                                         spec.evalBatchSize, precision);
        if (teacher && distiller->observesEvaluation())
            writeDiagnostics(observeEvaluation(*distiller, *student, *teacher,
                                               splits.val.size() > 0 ? splits.val : splits.test, device,
                                               spec.evalBatchSize));
        const double epochDone = epoch + 1;
        if (splits.val.size() > 0) writeEval("val", val, epochDone);
        writeEval("test", test, epochDone);
        writeMetric("epoch_time", progress.step, epochDone, state.wall());
        progress.valAcc = splits.val.size() > 0 ? val.acc1 : test.acc1;

        // Model selection uses the validation split; the test set is only reported.
        const double selection = splits.val.size() > 0 ? val.acc1 : -test.loss;
        const bool improved = epoch == 0 || selection > position.bestValAcc;
        if (improved) position.bestValAcc = selection;
        char line[240];
        std::snprintf(line, sizeof line, "epoch %lld/%lld: val acc %.2f%%, test acc %.2f%% (top-5 %.2f%%), train loss %.4f",
                      static_cast<long long>(epoch + 1), static_cast<long long>(spec.epochs), val.acc1, test.acc1,
                      test.acc5, progress.loss);
        log("info", line, progress.step);
        if (position.skippedSteps > 0 && skipNonFinite)
            log("warn", std::to_string(position.skippedSteps) + " steps skipped so far for a non-finite loss", progress.step);
        noteSkippedRows(progress.step);

        // The epoch's rows, then the files (best before last: a kill between them resumes from the
        // older last and writes the same best again), then their rows.
        const std::string bytes = checkpointHere(epoch + 1, 0);
        if (improved) writeFileAtomically(bestPath, bytes, /*keepPrevious=*/true);
        writeFileAtomically(lastPath, bytes, /*keepPrevious=*/true);
        lastCheckpoint = Clock::now();
        const bool periodic = spec.checkpointEvery > 0 && (epoch + 1) % spec.checkpointEvery == 0;
        const std::string periodicPath = options_.checkpointDir + "/epoch-" + std::to_string(epoch + 1) + ".pt";
        if (periodic) writeFileAtomically(periodicPath, bytes);
        store_.addCheckpoint({0, runId_, progress.step, epoch + 1, lastPath, "last", position.bestValAcc, 0});
        if (improved) store_.addCheckpoint({0, runId_, progress.step, epoch + 1, bestPath, "best", selection, 0});
        if (periodic) store_.addCheckpoint({0, runId_, progress.step, epoch + 1, periodicPath, "periodic", selection, 0});
        crashPoint("epoch_end");
        heartbeat.setProgress(double(progress.step) / totalSteps);
        checkOwnership();
    }

    state.writer.flush();
    noteSkippedRows(progress.step);
    state.writer.flush();
    store_.finishRun(runId_, store::RunStatus::Finished);
    progress.phase = "done";
    progress.fraction = 1;
    progress.etaSeconds = 0;
    if (options_.progress) options_.progress->finish(progress);
    return Outcome::Finished;
}

}  // namespace distillery::engine
