#include "methods/Distiller.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "methods/ActivationMapAdaptation.h"
#include "methods/AttentionTransfer.h"
#include "methods/ChannelTransform.h"
#include "methods/Crd.h"
#include "methods/CrossEntropy.h"
#include "methods/Dkd.h"
#include "methods/FitNet.h"
#include "methods/HintonKd.h"
#include "methods/MultiPath.h"
#include "methods/ProbabilisticTransfer.h"
#include "methods/RelationalKd.h"
#include "methods/SimilarityPreserving.h"
#include "methods/SpotAdaptive.h"
#include "methods/StatisticsTransfer.h"
#include "spec/Catalog.h"

namespace distillery::methods {

at::Tensor Distiller::labelLoss(const at::Tensor& logits, const at::Tensor& labels) const {
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::vector<Spot> Distiller::spots() const {
    std::vector<Spot> all = ownSpots();
    if (kdAlpha_ > 0) all.push_back({"logits", Spot::kLogits, Spot::kLogits, ""});
    return all;
}

at::Tensor Distiller::spotLoss(size_t, const models::FeatureSet&, const models::FeatureSet&) {
    throw std::invalid_argument("method " + name() + " cannot be gated by sakd: it has no per-spot loss");
}

std::vector<LossTerm> Distiller::spotTerms(const StepInputs& inputs) {
    TORCH_CHECK(inputs.teacher, name(), " needs a teacher");
    at::Tensor feat;
    const size_t count = ownSpots().size();
    for (size_t k = 0; k < count; ++k) {
        const at::Tensor l = spotLoss(k, inputs.student, *inputs.teacher);
        feat = feat.defined() ? feat + l : l;
    }
    std::vector<LossTerm> terms{{"ce", labelLoss(inputs.student.logits, inputs.labels)}, {"feat", feat}};
    appendKd(terms, inputs);
    return terms;
}

void Distiller::appendKd(std::vector<LossTerm>& terms, const StepInputs& inputs) const {
    if (kdAlpha_ <= 0 || !inputs.teacher) return;
    terms.push_back({"kd", kdAlpha_ * HintonKd::klDivergence(inputs.student.logits, inputs.teacher->logits.detach(),
                                                             kdTemperature_)});
}

models::StagedNet& stagedTeacher(const spec::MethodSpec& method, models::StagedNet* teacher) {
    if (!teacher || teacher->numStages() == 0)
        throw std::invalid_argument("method " + method.name + " distils stage features: it needs a teacher with stages");
    return *teacher;
}

namespace {

// fitnet: param stage is the student's stage (-1 = the middle one, (S_s-1)/2, RepDistiller's hint_layer 2
// on 3- and 4-stage nets); the teacher's stage is the one at the same relative depth (stageAtDepth).
std::shared_ptr<Distiller> makeFitNet(const spec::MethodSpec& method, models::StagedNet* teacherNet,
                                      models::StagedNet& student) {
    auto& teacher = stagedTeacher(method, teacherNet);
    const int64_t stages = student.numStages();
    const auto given = int64_t(method.param("stage"));
    const int64_t s = given < 0 ? (stages - 1) / 2 : given;
    if (s >= stages)
        throw std::invalid_argument("fitnet.stage: " + std::to_string(s) + " but the student has " +
                                    std::to_string(stages) + " stages");
    const int64_t t = stageAtDepth(s, stages, teacher.numStages());
    return std::make_shared<FitNet>(method.param("beta"), s, t, student.stageChannels(s), student.stageStride(s),
                                    teacher.stageChannels(t), teacher.stageStride(t));
}

// at: one spot per stage of the net with fewer stages, each paired by relative depth (stageAtDepth).
std::shared_ptr<Distiller> makeAttention(const spec::MethodSpec& method, models::StagedNet* teacherNet,
                                         models::StagedNet& student) {
    auto& teacher = stagedTeacher(method, teacherNet);
    const int64_t spots = std::min(student.numStages(), teacher.numStages());
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t k = 0; k < spots; ++k)
        pairs.emplace_back(stageAtDepth(k, spots, student.numStages()), stageAtDepth(k, spots, teacher.numStages()));
    return std::make_shared<AttentionTransfer>(method.param("beta"), method.param("p"), std::move(pairs));
}

// crd: embeddings from the pooled features (the last stage's channels) and a bank row per training image.
std::shared_ptr<Distiller> makeCrd(const spec::MethodSpec& method, models::StagedNet* teacherNet,
                                   models::StagedNet& student, const DistillerContext& context) {
    auto& teacher = stagedTeacher(method, teacherNet);
    Crd::Options options;
    options.featDim = int64_t(method.param("feat_dim"));
    options.nceK = int64_t(method.param("nce_k"));
    options.nceT = method.param("nce_t");
    options.momentum = method.param("nce_m");
    options.beta = method.param("beta");
    return std::make_shared<Crd>(student.stageChannels(student.numStages() - 1),
                                 teacher.stageChannels(teacher.numStages() - 1), context.trainSize, options);
}

// One line per method: how its declared parameters (spec/Catalog.cpp) build it.
std::shared_ptr<Distiller> makeMethod(const spec::MethodSpec& method, models::StagedNet* teacher,
                                      models::StagedNet& student, const DistillerContext& context) {
    if (method.name == "ce") return std::make_shared<CrossEntropy>();
    if (method.name == "kd")
        return std::make_shared<HintonKd>(method.param("T"), method.param("gamma"), method.param("alpha"));
    if (method.name == "fitnet") return makeFitNet(method, teacher, student);
    if (method.name == "at") return makeAttention(method, teacher, student);
    if (method.name == "sp") return std::make_shared<SimilarityPreserving>(method.param("beta"));
    if (method.name == "rkd")
        return std::make_shared<RelationalKd>(method.param("beta"), method.param("w_d"), method.param("w_a"));
    if (method.name == "pkt") return std::make_shared<ProbabilisticTransfer>(method.param("beta"));
    if (method.name == "dkd")
        return std::make_shared<Dkd>(method.param("alpha"), method.param("beta"), method.param("T"),
                                     method.param("warmup"), method.param("ce_weight"));
    if (method.name == "crd") return makeCrd(method, teacher, student, context);
    if (method.name == "adain") return makeAdaIn(method, stagedTeacher(method, teacher), student);
    if (method.name == "stat_l2") return makeStatL2(method, stagedTeacher(method, teacher), student);
    if (method.name == "channel") return makeChannelTransform(method, stagedTeacher(method, teacher), student);
    if (method.name == "amap")
        return makeActivationMapAdaptation(method, stagedTeacher(method, teacher), student, context);
    if (method.name == "multipath") return makeMultiPath(method, teacher, student, context);
    if (method.name == "sakd") return makeSpotAdaptive(method, teacher, student, context);
    return nullptr;
}
}  // namespace

std::shared_ptr<Distiller> createDistiller(const spec::MethodSpec& method, models::StagedNet* teacher,
                                           models::StagedNet& student, const DistillerContext& context) {
    auto distiller = makeMethod(method, teacher, student, context);
    if (!distiller) {
        std::vector<std::string> known;
        for (const auto& m : spec::methodCatalog()) known.push_back(m.name);
        throw std::invalid_argument("unknown method \"" + method.name + "\"; known: " + spec::joinNames(known));
    }
    const spec::MethodDecl* decl = spec::findMethod(method.name);
    if (decl && decl->param("kd_alpha")) distiller->setKd(method.param("kd_alpha"), method.param("kd_T"));
    distiller->setForwardType(context.forwardType);
    return distiller;
}

}  // namespace distillery::methods
