#pragma once
// The weight initialisation the CRD code base (and torchvision's ResNets) apply after building a
// network: Kaiming normal with fan_out and the ReLU gain for every convolution (RepDistiller writes it
// as normal(0, sqrt(2 / (k·k·out_channels)))), zero convolution biases, batch-norm weight 1 and bias 0.
// Linear layers differ between the reference files, hence the choice.
#include <torch/nn/module.h>

namespace distillery::models {

enum class LinearInit {
    Default,        // PyTorch's default (torchvision ResNets)
    ZeroBias,       // default weight, zero bias (RepDistiller wrn.py)
    Normal001,      // weight normal(0, 0.01), zero bias (RepDistiller vgg.py, mobilenetv2.py)
};

void initialiseWeights(torch::nn::Module& net, LinearInit linear);

}  // namespace distillery::models
