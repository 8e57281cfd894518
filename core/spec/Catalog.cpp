#include "spec/Catalog.h"

#include <algorithm>

#include "spec/RunSpec.h"

namespace distillery::spec {

const ParamDecl* MethodDecl::param(const std::string& wanted) const {
    for (const auto& p : params)
        if (p.name == wanted) return &p;
    return nullptr;
}

std::vector<ParamDecl> withKdOption(std::vector<ParamDecl> params) {
    params.push_back({"kd_alpha", 0.0, 0.0, 100.0,
                      "weight of an added Hinton KD term on the logits; 0 leaves it out (the method alone)"});
    params.push_back({"kd_T", 4.0, 0.5, 100.0, "temperature of the added KD term"});
    return params;
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
        {"fitnet",
         "FitNets hints: CE + beta*MSE(r(F_s^k), F_t^k), r = conv (1x1, strided 3x3 or transposed 4x4 by the stride "
         "ratio) + BN + ReLU, at one student stage and the teacher stage at the same relative depth.",
         true,
         withKdOption({{"beta", 100.0, 0.0, 1e6, "weight of the hint MSE"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage whose output is hinted (0-based); -1 = the middle stage, (stages-1)/2"}})},
        {"at",
         "Attention transfer: CE + beta*sum_k mean((a_s^k - a_t^k)^2), a = L2-normalise(flatten(mean_c F^p)), at "
         "every stage; the larger map of a pair is average-pooled to the smaller.",
         true,
         withKdOption({{"beta", 1000.0, 0.0, 1e7, "weight of the summed attention losses"},
                       {"p", 2.0, 1.0, 4.0, "power of the activations in the attention map"}})},
        {"sp",
         "Similarity-preserving KD: CE + beta*||G_s - G_t||_F^2 / B^2, G = row-L2-normalise(f f^T), f the "
         "flattened last-stage features.",
         true, withKdOption({{"beta", 3000.0, 0.0, 1e7, "weight of the similarity loss"}})},
        {"rkd",
         "Relational KD: CE + beta*(w_d*distance + w_a*angle), smooth-L1 between student and teacher of the "
         "mean-normalised pairwise distances and the triplet angle cosines of the pooled features.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the relational loss"},
                       {"w_d", 25.0, 0.0, 1e4, "weight of the distance term"},
                       {"w_a", 50.0, 0.0, 1e4, "weight of the angle term"}})},
        {"pkt",
         "Probabilistic KT: CE + beta*mean(P_t*log((P_t+eps)/(P_s+eps))), P the row-normalised (cos+1)/2 "
         "similarities of the pooled features, eps=1e-7.",
         true, withKdOption({{"beta", 30000.0, 0.0, 1e8, "weight of the probability-matching loss"}})},
        {"dkd",
         "Decoupled KD (mdistiller): ce_weight*CE + min(epoch/warmup, 1)*(alpha*TCKD + beta*NCKD); TCKD = T^2*KL of "
         "the binary target/non-target probabilities, NCKD = T^2*KL over the non-target classes (target logit "
         "masked by -1000); epochs count from 1 as in mdistiller. Terms ce, tckd, nckd.",
         true,
         {{"alpha", 1.0, 0.0, 100.0, "weight of TCKD (target-class KD)"},
          {"beta", 8.0, 0.0, 100.0, "weight of NCKD (non-target-class KD)"},
          {"T", 4.0, 0.5, 100.0, "softmax temperature of both parts"},
          {"warmup", 20.0, 0.0, 1000.0, "epochs over which the KD weight ramps up linearly; 0 = no warm-up"},
          {"ce_weight", 1.0, 0.0, 10.0, "weight of the cross-entropy on the labels"}}},
        {"crd",
         "Contrastive representation distillation (RepDistiller): CE + beta*(L_s + L_t), NCE losses of the "
         "L2-normalised linear embeddings of the pooled features against momentum memory banks (one row per "
         "training image), nce_k uniformly drawn negatives per sample, Z estimated on the first batch.",
         true,
         withKdOption({{"beta", 0.8, 0.0, 100.0, "weight of the contrastive loss (RepDistiller's -b)"},
                       {"feat_dim", 128.0, 1.0, 4096.0, "width of the embeddings and of the memory banks"},
                       {"nce_k", 16384.0, 1.0, 1e6,
                        "negatives per sample; capped at the training split's size - 1 when that is smaller "
                        "(logged). Each step gathers 2*B*(nce_k+1)*feat_dim floats from the banks (about 1 GB "
                        "at B=64 and the defaults, as in RepDistiller); lower it on small machines"},
                       {"nce_t", 0.07, 0.001, 10.0, "temperature of the contrastive scores"},
                       {"nce_m", 0.5, 0.0, 1.0, "momentum of the memory-bank update (1 = never updated)"}})},
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
