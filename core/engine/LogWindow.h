#pragma once
// Sums of the loss terms and correct predictions since the last logged step, kept on the device so
// that the training loop never waits for the host between log points. Saved in checkpoints, so a
// resumed run logs exactly what an uninterrupted one would.
#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <cstdint>
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

    void save(torch::serialize::OutputArchive& archive) const;
    void load(torch::serialize::InputArchive& archive, const c10::Device& device);

private:
    std::map<std::string, at::Tensor> termSums_;
    at::Tensor total_, correct_;
    int64_t steps_ = 0, images_ = 0;
};

}  // namespace distillery::engine
