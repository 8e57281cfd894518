#include "spec/Catalog.h"

#include <algorithm>

#include "spec/RunSpec.h"

namespace distillery::spec {

const ParamDecl* MethodDecl::param(const std::string& wanted) const {
    for (const auto& p : params)
        if (p.name == wanted) return &p;
    return nullptr;
}

const std::vector<MethodDecl>& methodCatalog() {
    static const std::vector<MethodDecl> methods = {
        {"ce", "Cross-entropy on the labels only: the student alone (\"vanilla\"), or a teacher's own training.",
         false, {}},
        {"kd",
         "Hinton KD: gamma*CE(z_s, y) + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), batch mean.",
         true,
         {{"T", 4.0, 0.5, 100.0, "softmax temperature; larger T exposes more of the teacher's dark knowledge"},
          {"gamma", 0.1, 0.0, 10.0, "weight of the cross-entropy on the labels"},
          {"alpha", 0.9, 0.0, 100.0, "weight of the T^2-scaled KL divergence to the teacher"}}},
    };
    return methods;
}

const MethodDecl* findMethod(const std::string& name) {
    for (const auto& m : methodCatalog())
        if (m.name == name) return &m;
    return nullptr;
}

const std::vector<std::string>& modelNames() {
    // The model registry's names (core/models/ModelRegistry.cpp), in its order; tests/models checks it.
    static const std::vector<std::string> names = {
        "resnet8",     "resnet14",     "resnet20",     "resnet32", "resnet44", "resnet56", "resnet110",
        "resnet8x4",   "resnet32x4",   "wrn_16_2",     "wrn_40_2", "vgg8",     "vgg11",    "vgg13",
        "mobilenetv2", "shufflenetv1", "shufflenetv2", "resnet18", "resnet34", "resnet50", "tinycnn"};
    return names;
}

bool isKnownModel(const std::string& name) {
    const auto& names = modelNames();
    return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& datasetNames() {
    static const std::vector<std::string> names = {"fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"};
    return names;
}

DataShape dataShape(const DataSpec& data) {
    if (data.name == "synthetic") return {data.channels, data.height, data.width, data.numClasses};
    if (data.name == "cifar10") return {3, 32, 32, 10};
    if (data.name == "cifar100") return {3, 32, 32, 100};
    return {1, 28, 28, 10};   // fashion-mnist, mnist
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace distillery::spec
