#pragma once
// Sums of the loss terms and correct predictions since the last logged step, kept on the device so
// that the training loop never waits for the host between log points. Saved in checkpoints, so a
// resumed run logs exactly what an uninterrupted one would.
#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "methods/Distiller.h"

namespace distillery::engine {

class LogWindow {
public:
    void add(const std::vector<methods::LossTerm>& terms, const at::Tensor& total, const at::Tensor& correct,
             int64_t images);
    bool empty() const { return steps_ == 0; }

    struct Means {
        double total = 0;
        std::map<std::string, double> terms;
        double accuracy = 0;          // %
    };
    Means means() const;              // synchronises with the device: call at log points only
    void reset();
    // The window over several processes of one run (each with its share of every batch), through
    // `sumOverProcesses` (an in-place all-reduce): the losses become the mean of the processes' means,
    // the correct predictions and images their sums. Every process calls it at the same step.
    void combine(const std::function<void(at::Tensor&)>& sumOverProcesses, int64_t processes);

    void save(torch::serialize::OutputArchive& archive) const;
    void load(torch::serialize::InputArchive& archive, const c10::Device& device);

private:
    std::map<std::string, at::Tensor> termSums_;
    at::Tensor total_, correct_;
    int64_t steps_ = 0, images_ = 0;
};

}  // namespace distillery::engine
