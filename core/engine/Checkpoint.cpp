#include "engine/Checkpoint.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "engine/CheckpointFile.h"

namespace distillery::engine {

namespace {

torch::Tensor scalar(double v) { return torch::tensor(v, torch::kDouble); }
torch::Tensor scalar(int64_t v) { return torch::tensor(v, torch::kLong); }

// Mirrors the archive layout of torch::nn::Module::save (one nested archive per child), but checks
// every tensor's presence and shape instead of silently replacing a parameter with a differently
// shaped one.
void loadChecked(torch::nn::Module& module, torch::serialize::InputArchive& archive, const std::string& prefix,
                 const std::string& what, const std::string& path) {
    auto readInto = [&](const std::string& name, torch::Tensor& target, bool isBuffer) {
        torch::Tensor stored;
        if (!archive.try_read(name, stored, isBuffer))
            throw std::runtime_error(what + ": checkpoint \"" + path + "\" has no tensor \"" + prefix + name +
                                     "\"; it was written for a different network");
        if (stored.sizes() != target.sizes()) {
            std::ostringstream s;
            s << what << ": tensor \"" << prefix << name << "\" of checkpoint \"" << path << "\" has shape "
              << stored.sizes() << " but the network expects " << target.sizes()
              << "; the checkpoint belongs to another model, data set (input channels) or class count";
            throw std::runtime_error(s.str());
        }
        torch::NoGradGuard noGrad;
        target.copy_(stored);
    };
    for (auto& p : module.named_parameters(/*recurse=*/false)) readInto(p.key(), p.value(), false);
    for (auto& b : module.named_buffers(/*recurse=*/false)) readInto(b.key(), b.value(), true);
    for (auto& child : module.named_children()) {
        torch::serialize::InputArchive childArchive;
        if (!archive.try_read(child.key(), childArchive))
            throw std::runtime_error(what + ": checkpoint \"" + path + "\" has no module \"" + prefix + child.key() +
                                     "\"; it was written for a different network");
        loadChecked(*child.value(), childArchive, prefix + child.key() + ".", what, path);
    }
}

torch::serialize::InputArchive openArchive(const std::string& path, const std::string& what) {
    OpenedCheckpoint opened;
    try {
        opened = readCheckpointFile(path);
    } catch (const CheckpointError& e) {
        throw CheckpointError(what + ": " + e.what());
    }
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(opened.archive.data(), opened.archive.size());
    } catch (const c10::Error& e) {
        throw CheckpointError(what + ": checkpoint \"" + path + "\" cannot be read (" +
                              std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    return archive;
}

torch::Tensor readScalar(torch::serialize::InputArchive& archive, const char* key) {
    torch::Tensor t;
    archive.read(key, t);
    return t;
}

TrainingPosition positionOf(torch::serialize::InputArchive& archive) {
    TrainingPosition position;
    position.epoch = readScalar(archive, "epoch").item<int64_t>();
    position.batchInEpoch = readScalar(archive, "batch_in_epoch").item<int64_t>();
    position.step = readScalar(archive, "step").item<int64_t>();
    position.bestValAcc = readScalar(archive, "best_val_acc").item<double>();
    position.wallTime = readScalar(archive, "wall_time").item<double>();
    torch::Tensor skipped;   // absent in checkpoints of older versions
    if (archive.try_read("skipped_steps", skipped)) position.skippedSteps = skipped.item<int64_t>();
    return position;
}

}  // namespace

std::string checkpointBytes(const TrainingState& state, const TrainingPosition& position) {
    torch::serialize::OutputArchive archive, studentArchive, distillerArchive, optimizerArchive, windowArchive;
    state.student.save(studentArchive);
    state.distiller.save(distillerArchive);
    state.optimizer.save(optimizerArchive);
    state.window.save(windowArchive);
    archive.write("student", studentArchive);
    archive.write("distiller", distillerArchive);
    archive.write("optimizer", optimizerArchive);
    archive.write("log_window", windowArchive);
    if (state.methodOptimizer) {
        torch::serialize::OutputArchive methodOptimizerArchive;
        state.methodOptimizer->save(methodOptimizerArchive);
        archive.write("method_optimizer", methodOptimizerArchive);
    }
    archive.write("epoch", scalar(position.epoch));
    archive.write("batch_in_epoch", scalar(position.batchInEpoch));
    archive.write("step", scalar(position.step));
    archive.write("best_val_acc", scalar(position.bestValAcc));
    archive.write("wall_time", scalar(position.wallTime));
    archive.write("skipped_steps", scalar(position.skippedSteps));
    archive.write("augment_rng", state.augmentGenerator.get_state());
    std::string bytes;
    archive.save_to([&](const void* data, size_t size) {
        bytes.append(static_cast<const char*>(data), size);
        return size;
    });
    return sealCheckpoint(std::move(bytes), position.step);
}

void saveCheckpoint(const std::string& path, const TrainingState& state, const TrainingPosition& position) {
    writeFileAtomically(path, checkpointBytes(state, position), /*keepPrevious=*/true);
}

TrainingPosition loadCheckpoint(const std::string& path, const TrainingState& state, const c10::Device& device) {
    auto archive = openArchive(path, "resume");
    torch::serialize::InputArchive studentArchive, distillerArchive, optimizerArchive, windowArchive;
    archive.read("student", studentArchive);
    archive.read("distiller", distillerArchive);
    archive.read("optimizer", optimizerArchive);
    archive.read("log_window", windowArchive);
    loadChecked(state.student, studentArchive, "", "resume", path);
    loadChecked(state.distiller, distillerArchive, "", "resume", path);
    state.optimizer.load(optimizerArchive);
    if (state.methodOptimizer) {
        torch::serialize::InputArchive methodOptimizerArchive;
        if (!archive.try_read("method_optimizer", methodOptimizerArchive))
            throw std::runtime_error("resume: checkpoint \"" + path + "\" has no state for the method's own optimiser");
        state.methodOptimizer->load(methodOptimizerArchive);
    }
    state.window.load(windowArchive, device);
    TrainingPosition position = positionOf(archive);
    state.augmentGenerator.set_state(readScalar(archive, "augment_rng"));
    return position;
}

TrainingPosition readCheckpointPosition(const std::string& path) {
    auto archive = openArchive(path, "checkpoint");
    return positionOf(archive);
}

void loadModuleWeights(torch::nn::Module& module, const std::string& path, const std::string& what) {
    auto archive = openArchive(path, what);
    torch::serialize::InputArchive studentArchive;
    if (!archive.try_read("student", studentArchive))
        throw std::runtime_error(what + ": \"" + path + "\" is not a Distillery checkpoint (no \"student\" entry)");
    loadChecked(module, studentArchive, "", what, path);
}

}  // namespace distillery::engine
