#include "methods/CrossEntropy.h"

#include <torch/torch.h>

namespace distillery::methods {

std::vector<LossTerm> CrossEntropy::losses(const StepInputs& inputs) {
    return {{"ce", labelLoss(inputs.student.logits, inputs.labels)}};
}

std::shared_ptr<Distiller> makeCrossEntropy(const MethodBuild&) { return std::make_shared<CrossEntropy>(); }

}  // namespace distillery::methods
