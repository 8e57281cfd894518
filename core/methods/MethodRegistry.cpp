#include "methods/MethodRegistry.h"

#include <stdexcept>

#include "methods/ActivationMapAdaptation.h"
#include "methods/AttentionTransfer.h"
#include "methods/ChannelTransform.h"
#include "methods/CorrelationCongruence.h"
#include "methods/Crd.h"
#include "methods/CrossEntropy.h"
#include "methods/Dkd.h"
#include "methods/FactorTransfer.h"
#include "methods/FitNet.h"
#include "methods/HintonKd.h"
#include "methods/MultiPath.h"
#include "methods/NeuronSelectivity.h"
#include "methods/ProbabilisticTransfer.h"
#include "methods/RelationalKd.h"
#include "methods/SimilarityPreserving.h"
#include "methods/SpotAdaptive.h"
#include "methods/StatisticsTransfer.h"
#include "methods/VariationalInformation.h"
#include "spec/Catalog.h"

namespace distillery::methods {

namespace {

struct MethodRow {
    const char* name;
    MethodFactory factory;
};

// In the catalog's order, so that the list of known methods reads the same from either.
const MethodRow kMethods[] = {
    {"ce", makeCrossEntropy},
    {"kd", makeHintonKd},
    {"fitnet", makeFitNet},
    {"at", makeAttentionTransfer},
    {"sp", makeSimilarityPreserving},
    {"rkd", makeRelationalKd},
    {"pkt", makeProbabilisticTransfer},
    {"dkd", makeDkd},
    {"crd", makeCrd},
    {"nst", makeNeuronSelectivity},
    {"vid", makeVariationalInformation},
    {"cc", makeCorrelationCongruence},
    {"ft", makeFactorTransfer},
    {"adain", makeAdaIn},
    {"stat_l2", makeStatL2},
    {"channel", makeChannelTransform},
    {"multipath", makeMultiPath},
    {"amap", makeActivationMapAdaptation},
    {"sakd", makeSpotAdaptive},
};

}  // namespace

const MethodFactory* findFactory(const std::string& name) {
    for (const MethodRow& row : kMethods)
        if (name == row.name) return &row.factory;
    return nullptr;
}

std::vector<std::string> registeredMethods() {
    std::vector<std::string> names;
    for (const MethodRow& row : kMethods) names.emplace_back(row.name);
    return names;
}

std::shared_ptr<Distiller> createDistiller(const spec::MethodSpec& method, models::StagedNet* teacher,
                                           models::StagedNet& student, const DistillerContext& context) {
    const MethodFactory* factory = findFactory(method.name);
    if (!factory)
        throw std::invalid_argument("unknown method \"" + method.name + "\"; known: " +
                                    spec::joinNames(registeredMethods()));
    auto distiller = (*factory)(MethodBuild{method, teacher, student, context});
    const spec::MethodDecl* decl = spec::findMethod(method.name);
    if (decl && decl->param("kd_alpha")) distiller->setKd(method.param("kd_alpha"), method.param("kd_T"));
    distiller->setForwardType(context.forwardType);
    return distiller;
}

}  // namespace distillery::methods
