#include "models/TorchScriptNet.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "spec/FieldError.h"

namespace distillery::models {

TorchScriptNet::TorchScriptNet(const std::string& path, std::vector<std::string> stem, std::vector<std::string> stages,
                               std::string classifier, int64_t channels, int64_t height, int64_t width)
    : path_(path) {
    try {
        module_ = torch::jit::load(path, torch::kCPU);
    } catch (const c10::Error& e) {
        const std::string what = e.what_without_backtrace();
        throw spec::FieldError::prefixed("teacher.torchscript",
                               "cannot load \"" + path + "\" (" + what.substr(0, what.find('\n')) +
                                   "); save the teacher in PyTorch with torch.jit.save(torch.jit.trace(model, x), path)");
    }
    module_.eval();
    for (auto p : module_.parameters()) p.set_requires_grad(false);   // a teacher is frozen
    for (const auto& name : stem) stem_.push_back(submodule(name));
    for (const auto& name : stages) stages_.push_back(submodule(name));
    if (!classifier.empty()) classifier_.push_back(submodule(classifier));

    // One sample through the network gives the class count and, with stages, their shapes.
    torch::NoGradGuard noGrad;
    const auto sample = torch::zeros({1, channels, height, width});
    try {
        if (hasStages()) {
            // The dry run goes through StagedNet::forwardFeatures, which loops over numStages(): the
            // layout's length. So a provisional layout (one entry per stage, shapes not yet known, 0)
            // comes first, and the real one replaces it once the sample has given the shapes.
            setLayout(std::vector<StageLayout>(stages_.size(), StageLayout{0, 0}), 0);
            const FeatureSet f = forwardFeatures(sample);
            std::vector<StageLayout> layout;
            for (const auto& s : f.stages) {
                layout.push_back({s.size(1), std::max<int64_t>(1, height / std::max<int64_t>(1, s.size(2)))});
            }
            setLayout(std::move(layout), f.logits.size(1));
        } else {
            setLayout({}, forward(sample).size(1));
        }
    } catch (const c10::Error& e) {
        const std::string what = e.what_without_backtrace();
        std::ostringstream s;
        s << "\"" << path << "\" cannot run on a " << channels << "x" << height << "x" << width
          << " input of this data set (" << what.substr(0, what.find('\n')) << ")";
        throw spec::FieldError::prefixed("teacher.torchscript", s.str());
    }
}

torch::jit::Module TorchScriptNet::submodule(const std::string& dottedName) const {
    torch::jit::Module current = module_;
    std::stringstream parts(dottedName);
    std::string part;
    while (std::getline(parts, part, '.')) {
        if (!current.hasattr(part) || !current.attr(part).isModule()) {
            std::string known;
            for (const auto& child : current.named_children()) known += (known.empty() ? "" : ", ") + child.name;
            throw spec::FieldError::prefixed("teacher", "the TorchScript module \"" + path_ + "\" has no submodule \"" +
                                     dottedName + "\"; submodules there: " + (known.empty() ? "none" : known));
        }
        current = current.attr(part).toModule();
    }
    return current;
}

at::Tensor TorchScriptNet::call(torch::jit::Module& module, const at::Tensor& x) {
    auto out = module.forward({x});
    // Models that return (features, logits), as RepDistiller's do with is_feat, give their last tensor.
    if (out.isTuple()) {
        const auto& elements = out.toTupleRef().elements();
        for (size_t i = elements.size(); i-- > 0;)
            if (elements[i].isTensor()) return elements[i].toTensor();
    }
    return out.toTensor();
}

at::Tensor TorchScriptNet::stem(const at::Tensor& image) {
    at::Tensor h = image;
    for (auto& m : stem_) h = call(m, h);
    return h;
}

at::Tensor TorchScriptNet::runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) {
    at::Tensor h = call(stages_.at(static_cast<size_t>(stage)), x);
    if (preReLU) *preReLU = h;   // the pre-activation is hidden inside the scripted stage
    return h;
}

at::Tensor TorchScriptNet::classifier(const at::Tensor& pooled) { return call(classifier_.at(0), pooled); }

FeatureSet TorchScriptNet::forwardFeatures(const at::Tensor& image) {
    if (hasStages()) return StagedNet::forwardFeatures(image);
    FeatureSet f;
    f.logits = forward(image);
    return f;
}

at::Tensor TorchScriptNet::forward(const at::Tensor& image) {
    if (hasStages()) return StagedNet::forward(image);
    return call(module_, image);
}

void TorchScriptNet::to(torch::Device device, bool nonBlocking) {
    module_.to(device, nonBlocking);
    StagedNet::to(device, nonBlocking);
}

void TorchScriptNet::train(bool on) {
    module_.train(on);
    StagedNet::train(on);
}

}  // namespace distillery::models
