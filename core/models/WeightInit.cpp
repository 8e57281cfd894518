#include "models/WeightInit.h"

#include <torch/torch.h>

#include "models/FoldableBatchNorm.h"

namespace distillery::models {

namespace nn = torch::nn;

void initialiseWeights(nn::Module& net, LinearInit linear) {
    torch::NoGradGuard noGrad;
    for (auto& module : net.modules(/*include_self=*/false)) {
        if (auto* conv = module->as<nn::Conv2d>()) {
            nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined()) nn::init::zeros_(conv->bias);
        } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
            nn::init::ones_(bn->weight);
            nn::init::zeros_(bn->bias);
        } else if (auto* foldable = module->as<FoldableBatchNorm2dImpl>()) {
            nn::init::ones_(foldable->weight);
            nn::init::zeros_(foldable->bias);
        } else if (auto* fc = module->as<nn::Linear>()) {
            if (linear == LinearInit::Normal001) nn::init::normal_(fc->weight, 0.0, 0.01);
            if (linear != LinearInit::Default && fc->bias.defined()) nn::init::zeros_(fc->bias);
        }
    }
}

}  // namespace distillery::models
