#pragma once
// A network exported from PyTorch with torch.jit.save, used as a teacher. Logit methods need only
// its output. For feature methods the spec names the submodules that form its stem, its stages and
// its classifier (e.g. ["conv1", "bn1", "relu"], ["layer1", "layer2", "layer3"], "fc"); the stage
// shapes are found by running a sample input once.
#include <torch/script.h>

#include <string>
#include <vector>

#include "models/StagedNet.h"

namespace distillery::models {

class TorchScriptNet : public StagedNet {
public:
    // Throws spec::FieldError (teacher.torchscript, or teacher for a missing submodule) naming the file, or the
    // missing submodule and the ones there are.
    TorchScriptNet(const std::string& path, std::vector<std::string> stem, std::vector<std::string> stages,
                   std::string classifier, int64_t channels, int64_t height, int64_t width);

    bool hasStages() const { return !stages_.empty(); }

    FeatureSet forwardFeatures(const at::Tensor& image) override;
    at::Tensor forward(const at::Tensor& image) override;

    void to(torch::Device device, bool nonBlocking = false) override;
    void train(bool on = true) override;

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;
    torch::jit::Module submodule(const std::string& dottedName) const;
    static at::Tensor call(torch::jit::Module& module, const at::Tensor& x);

    std::string path_;
    torch::jit::Module module_;
    std::vector<torch::jit::Module> stem_, stages_;
    std::vector<torch::jit::Module> classifier_;   // empty, or one module
};

}  // namespace distillery::models
