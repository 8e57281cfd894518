#pragma once
// The fixture of the seed feature method suites (test_seed_features, test_adain_channel; test_amap
// uses its net and loaders with its own amap.json, of the same layout): the golden
// file tests/fixtures/golden/seed_features.json (written by tests/fixtures/golden_seed_features.py),
// its tiny staged teacher as a StagedNet, and a golden case built into a method with its inputs.
#include <QtTest>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "GoldenFixture.h"
#include "methods/Distiller.h"
#include "models/StagedNet.h"

namespace seedfixture {
using namespace distillery;
using nlohmann::json;
namespace nn = torch::nn;

// The fixture's teacher (and, for its layout only, the student): a stem and stages of
// conv3×3 (no bias) + BN + ReLU, each stage strided by the ratio of its total stride to the previous
// one's, then global average pooling and a linear head. Parameter names match the fixture's.
class GoldenNet : public models::StagedNet {
public:
    GoldenNet(int64_t inChannels, int64_t stemChannels, const std::vector<std::pair<int64_t, int64_t>>& stages,
              int64_t classes) {
        auto addBlock = [&](const std::string& name, int64_t in, int64_t out, int64_t stride) {
            auto block = std::make_shared<nn::Module>();
            convs_.push_back(block->register_module(
                "conv", nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false))));
            bns_.push_back(block->register_module("bn", nn::BatchNorm2d(out)));
            register_module(name, block);
        };
        addBlock("stem", inChannels, stemChannels, 1);
        std::vector<StageLayout> layout;
        int64_t in = stemChannels, previousStride = 1;
        for (size_t i = 0; i < stages.size(); ++i) {
            const auto [channels, stride] = stages[i];
            addBlock("stage" + std::to_string(i), in, channels, stride / previousStride);
            layout.push_back({channels, stride});
            in = channels;
            previousStride = stride;
        }
        fc_ = register_module("fc", nn::Linear(in, classes));
        setLayout(std::move(layout), classes);
    }

private:
    at::Tensor block(size_t i, const at::Tensor& x, at::Tensor* preReLU) {
        const auto pre = bns_[i]->forward(convs_[i]->forward(x));
        if (preReLU) *preReLU = pre;
        return torch::relu(pre);
    }
    at::Tensor stem(const at::Tensor& image) override { return block(0, image, nullptr); }
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override {
        return block(size_t(stage) + 1, x, preReLU);
    }
    at::Tensor classifier(const at::Tensor& pooled) override { return fc_->forward(pooled); }

    std::vector<nn::Conv2d> convs_;
    std::vector<nn::BatchNorm2d> bns_;
    nn::Linear fc_{nullptr};
};

inline const json& golden() {
    static const json data = readGoldenFixture("seed_features.json", "golden_seed_features.py");
    return data;
}

inline std::vector<std::pair<int64_t, int64_t>> layoutOf(const json& j) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& s : j) out.emplace_back(s[0].get<int64_t>(), s[1].get<int64_t>());
    return out;
}

// Copies the fixture's tensors into the module's parameters and buffers of the same names; returns
// how many parameters it set, so a caller can check that none was left at its initial value.
inline size_t loadState(nn::Module& module, const json& state) {
    torch::NoGradGuard noGrad;
    size_t parameters = 0;
    for (auto& p : module.named_parameters()) {
        if (!state.contains(p.key())) continue;
        const auto value = tensorOf(state[p.key()]);
        if (value.sizes() != p.value().sizes()) throw std::runtime_error("shape of " + p.key() + " differs");
        p.value().copy_(value);
        ++parameters;
    }
    for (auto& b : module.named_buffers())
        if (state.contains(b.key())) b.value().copy_(tensorOf(state[b.key()]));
    return parameters;
}

// The fixture's teacher, frozen and in eval mode, as the trainer holds a teacher.
// (data: a fixture of the same layout; seed_features.json by default.)
inline std::shared_ptr<GoldenNet> goldenTeacher(const json& data = golden()) {
    const auto& t = data["teacher"];
    auto net = std::make_shared<GoldenNet>(data["image"][0].get<int64_t>(), t["stem"].get<int64_t>(),
                                           layoutOf(t["stages"]), data["classes"].get<int64_t>());
    if (loadState(*net, t["state"]) != net->parameters().size())
        throw std::runtime_error("the fixture's teacher lacks parameters");
    for (auto& p : net->parameters()) p.set_requires_grad(false);
    net->eval();
    return net;
}

inline methods::DistillerContext goldenContext(const json& data = golden(), int64_t totalSteps = 0) {
    methods::DistillerContext context;
    context.channels = data["image"][0].get<int64_t>();
    context.height = data["image"][1].get<int64_t>();
    context.width = data["image"][2].get<int64_t>();
    if (totalSteps > 0) context.totalSteps = totalSteps;
    return context;
}

// A golden case as the method sees it: the method built by createDistiller from the case's
// parameters with the fixture's module weights, the teacher's features from running it on the images.
struct Built {
    std::shared_ptr<GoldenNet> teacher, student;
    std::shared_ptr<methods::Distiller> method;
    models::FeatureSet studentFeatures, teacherFeatures;
    torch::Tensor labels;
};

// studentGrad: the student's features require grad. The teacher's always do, on purpose: the
// methods must not send any gradient into them. data: the case's fixture (a file of the same layout);
// method: the method's name where the case does not give it; totalSteps: the run length it is built for.
inline Built build(const json& c, bool studentGrad = false, const json& data = golden(), const std::string& method = "",
                   int64_t totalSteps = 0) {
    Built b;
    b.teacher = goldenTeacher(data);
    b.student = std::make_shared<GoldenNet>(3, 4, layoutOf(c["student_layout"]), data["classes"].get<int64_t>());
    json params = c["params"];
    params["kd_alpha"] = c["kd_alpha"];
    params["kd_T"] = c["kd_T"];
    b.method = methods::createDistiller(methodSpec(method.empty() ? c["method"].get<std::string>() : method, params),
                                        b.teacher.get(), *b.student, goldenContext(data, totalSteps));
    const size_t parameters = b.method->parameters().size();
    if (loadState(*b.method, c["module_state"]) != parameters || c["module_state"].size() != parameters)
        throw std::runtime_error("module weights of " + c["name"].get<std::string>() + " differ from the method's");
    {
        torch::NoGradGuard noGrad;
        b.teacherFeatures = b.teacher->forwardFeatures(tensorOf(c["images"]));
    }
    b.teacherFeatures.stem.requires_grad_(true);
    for (auto& f : b.teacherFeatures.stages) f.requires_grad_(true);
    for (const auto& f : c["student_features"]) b.studentFeatures.stages.push_back(tensorOf(f).requires_grad_(studentGrad));
    b.studentFeatures.logits = tensorOf(c["student_logits"]);
    b.labels = torch::tensor(c["labels"].get<std::vector<int64_t>>(), torch::kLong);
    return b;
}

inline std::map<std::string, torch::Tensor> byName(const std::vector<methods::LossTerm>& terms) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& t : terms) out[t.name] = t.value;
    return out;
}

inline std::map<std::string, torch::Tensor> lossesOf(Built& b, bool collectDiagnostics = false) {
    methods::StepInputs inputs{b.studentFeatures, &b.teacherFeatures, b.labels, 0, 0, {}};
    inputs.collectDiagnostics = collectDiagnostics;
    return byName(b.method->losses(inputs));
}

inline double relativeError(double got, double want, double floor = 1e-12) {
    return std::abs(got - want) / std::max(floor, std::abs(want));
}

// The samples `indices` of a feature set.
inline models::FeatureSet subset(const models::FeatureSet& f, const torch::Tensor& indices) {
    models::FeatureSet out;
    if (f.stem.defined()) out.stem = f.stem.index_select(0, indices);
    for (const auto& s : f.stages) out.stages.push_back(s.index_select(0, indices));
    for (const auto& s : f.preReLU) out.preReLU.push_back(s.index_select(0, indices));
    out.logits = f.logits.index_select(0, indices);
    return out;
}

inline bool hasGradient(const torch::Tensor& t) { return t.grad().defined() && t.grad().abs().sum().item<double>() > 0; }

}  // namespace seedfixture
