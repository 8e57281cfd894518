#include "spec/Catalog.h"

#include <algorithm>

#include "spec/RunSpec.h"

namespace distillery::spec {

const ParamDecl* MethodDecl::param(const std::string& wanted) const {
    for (const auto& p : params)
        if (p.name == wanted) return &p;
    return nullptr;
}

ParamDecl choiceParam(std::string name, std::string defaultValue, std::vector<std::string> choices, std::string help) {
    ParamDecl p{std::move(name), 0, 0, 0, std::move(help)};
    p.kind = ParamKind::Choice;
    p.choices = std::move(choices);
    p.defaultNames = {std::move(defaultValue)};
    return p;
}

ParamDecl namesParam(std::string name, std::vector<std::string> defaults, std::vector<std::string> choices,
                     std::string help) {
    ParamDecl p{std::move(name), 0, 0, 0, std::move(help)};
    p.kind = ParamKind::Names;
    p.choices = std::move(choices);
    p.defaultNames = std::move(defaults);
    return p;
}

ParamDecl numbersParam(std::string name, double min, double max, std::string help) {
    ParamDecl p{std::move(name), 0, min, max, std::move(help)};
    p.kind = ParamKind::Numbers;
    return p;
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
        {"adain",
         "KD via adaptive instance normalisation (Yang et al. 2020): at each spot the teacher's feature is "
         "re-normalised with the student's per-channel mean and std (student first projected to the teacher's "
         "channels by 1x1 conv + BN when they differ) and run through the teacher's remaining stages and head; "
         "loss beta*sum_k T^2*KL(softmax(z_t/T) || softmax(z~_t/T)), or CE(z~_t, y) with target=label. "
         "Gradients reach the student only through its statistics. Workbench interpretation: the paper's "
         "spots, distance and weights are not public.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the summed AdaIN losses"},
                       {"T", 4.0, 0.5, 100.0, "temperature of the KL between the teacher's own and re-normalised logits"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired with the teacher stage at the same relative "
                        "depth; -1 = every stage"},
                       choiceParam("target", "teacher", {"teacher", "label"},
                                   "what the re-normalised teacher output is compared with: the teacher's own logits "
                                   "(KL) or the labels (CE)")})},
        {"stat_l2",
         "L2 on channel statistics, the baseline AdaIN-KD improves on: CE + beta*sum_k mean((mu_s-mu_t)^2 + "
         "(sigma_s-sigma_t)^2) over samples and channels, student projected to the teacher's channels as in adain.",
         true,
         withKdOption({{"beta", 1.0, 0.0, 1e6, "weight of the summed statistics losses"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired by relative depth; -1 = every stage"}})},
        {"channel",
         "Feature distillation via channel-wise transformation (Liu et al. 2023): g(F_s) = conv1x1 -> ReLU -> "
         "conv1x1 to the teacher's channels (spatial size aligned as in fitnet), loss alpha*sum((g(F_s) - F_t)^2)/B, "
         "teacher untouched. Workbench interpretation: alpha, hidden width and spots are not public.",
         true,
         withKdOption({{"alpha", 5e-3, 0.0, 1e3, "weight of the summed squared error (the method's one hyper-parameter)"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage distilled (0-based), paired by relative depth; -1 = the last stage"},
                       {"hidden", 0.0, 0.0, 8192.0, "hidden width of the transformation; 0 = the teacher's channels"}})},
        {"multipath",
         "Adaptive aggregation of distillation paths (Chennupati et al. 2021): CE + distill_weight*sum_p "
         "weight_p*L_p over paths loss@spot. Weightings: equal, fixed (the weights list), uncertainty (the paper's "
         "code: exp(-a_p)*L_p + a_p, a_p learnt by the student's optimiser), uncertainty_layerwise (one a per stage "
         "of multi-stage paths), and, beyond the paper's code, gradnorm and dwa.",
         true,
         {choiceParam("weighting", "uncertainty", {"equal", "fixed", "uncertainty", "uncertainty_layerwise", "gradnorm", "dwa"},
                      "how the paths' losses are weighted"),
          namesParam("paths", {"kd@logits", "at@stages"}, {"kd", "logits_mse", "at", "nst", "fitnet", "channel", "mean"},
                     "distillation paths loss@spot; spot = logits, stages (every stage), or stageN (1-based); "
                     "without a spot: kd and logits_mse at the logits, at and nst at every stage, fitnet at the "
                     "middle stage, channel and mean at the last"),
          numbersParam("weights", 0.0, 1e7, "one fixed weight per path (w_p, used by every weighting); empty = 1 each"),
          {"distill_weight", 1.0, 0.0, 1e4, "weight of the whole distillation sum (the paper code's alpha_distill)"},
          {"T", 4.0, 0.5, 100.0, "temperature of the kd path"},
          {"gradnorm_alpha", 1.5, 0.0, 10.0, "gradnorm: strength of the pull toward equal training rates"},
          {"gradnorm_lr", 0.025, 0.0, 10.0, "gradnorm: learning rate of the path weights"},
          {"dwa_T", 2.0, 0.01, 100.0, "dwa: temperature of the softmax over the paths' loss ratios"}}},
        {"amap",
         "Activation-map adaptation (Wu et al. 2020), workbench interpretation (the paper's module is not public): "
         "an adaptive module (conv3x3-BN-ReLU x2 at the student's width) replaces teacher stage k; the hybrid "
         "teacher is trained online with CE + hybrid_alpha*KD(T) to the original teacher, and its activation map "
         "at spot k is the student's hint target: CE + beta*AT(student stage k, module output).",
         true,
         withKdOption({{"beta", 1000.0, 0.0, 1e7, "weight of the attention-map loss to the adapted map"},
                       {"stage", -1.0, -1.0, 16.0,
                        "student stage (0-based) whose map is hinted; the teacher stage at the same relative depth "
                        "is replaced; -1 = the last stage"},
                       {"hybrid_alpha", 1.0, 0.0, 100.0, "weight of the hybrid teacher's KD to the original teacher"},
                       {"hybrid_T", 4.0, 0.5, 100.0, "temperature of the hybrid teacher's KD"}})},
        {"sakd",
         "Spot-adaptive KD (Song et al. 2022, after the official code): a policy (one linear layer on the detached "
         "pooled features of both nets) decides per sample at each spot of the base method and at the logits "
         "whether to distil (hard Gumbel-softmax, straight-through); an agent optimiser trains it and the "
         "adaptors of a multi-path teacher/student forward; the student learns CE + beta*sum_k (n_k/B)*L_base^k "
         "+ alpha*(n_out/B)*KD on the selected samples.",
         true,
         {choiceParam("base", "at", {"at", "fitnet", "sp", "rkd", "pkt", "adain", "channel"},
                      "the distiller whose spots are gated"),
          choiceParam("gate", "policy", {"policy", "random", "reverse", "all", "none"},
                      "policy: learnt; random: Bernoulli(0.5); reverse: distil where the policy would not; "
                      "all: every spot always; none: no distillation"),
          {"beta", -1.0, -1.0, 1e8,
           "weight of the base loss; -1 = the official code's value for the base (at 1000, fitnet 1, sp 3000, "
           "rkd 1, pkt 30000; adain 1, channel 5e-3 are Distillery's)"},
          {"alpha", 1.0, 0.0, 100.0, "weight of the KD term on the samples distilled at the logits"},
          {"T", 4.0, 0.5, 100.0, "temperature of the KD term"},
          {"tau", 5.0, 0.01, 100.0, "Gumbel-softmax temperature (the official code: 5, fixed)"},
          choiceParam("tau_schedule", "constant", {"constant", "linear", "exponential"},
                      "annealing of tau to tau_final over the run; not in the official code (an extension)"),
          {"tau_final", 0.5, 0.01, 100.0, "tau at the last step when tau_schedule anneals"},
          {"gamma", -1.0, -1.0, 100.0,
           "classify weight of the routing loss; -1 = the official value (2 for at and rkd, 1 otherwise)"},
          {"agent_lr_scale", 0.5, 0.0, 10.0, "the agent's learning rate as a fraction of the student's"},
          {"agent_momentum", 0.9, 0.0, 1.0, "momentum of the agent's SGD"},
          {"agent_weight_decay", 1e-3, 0.0, 1.0, "weight decay of the agent's SGD"},
          {"init_bias", 10.0, -100.0, 100.0, "initial bias of every 'distil' logit: +10 opens nearly every gate"}}},
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

int64_t trainImageCount(const DataSpec& data) {
    if (data.name == "synthetic") return data.trainSize;
    if (data.name == "cifar10" || data.name == "cifar100") return 50'000;
    if (data.name == "fashion-mnist" || data.name == "mnist") return 60'000;
    return 0;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace distillery::spec
