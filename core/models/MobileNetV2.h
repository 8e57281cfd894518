#pragma once
// MobileNetV2 as in RepDistiller (HobbitLong/RepDistiller, models/mobilenetv2.py); the zoo's
// "mobilenetv2" is its mobile_half: expansion T = 6, width multiplier 0.5. RepDistiller adapts the
// network to 32-px inputs: the stem conv3x3 has stride 2 and the second block group stride 1 (not 2),
// so the total stride is 16. Block groups (t, c, n, s): (1,16,1,1) (T,24,2,1) (T,32,3,2) (T,64,4,2)
// (T,96,3,1) (T,160,3,2) (T,320,1,1), widths × the multiplier; then conv 1x1 to 1280 + bn + relu
// (1280 · multiplier when the multiplier exceeds 1), global average pool, classifier Linear.
//
// Stages, as RepDistiller's feature list [f0, f1, f2, f3, f4] (and its get_bn_before_relu):
//   stem    conv1 (conv3x3/2 + bn + relu)        f0, stride 2
//   stage 0 block groups 0, 1                    f1, stride 2
//   stage 1 block group 2                        f2, stride 4
//   stage 2 block groups 3, 4                    f3, stride 8
//   stage 3 block groups 5, 6 + conv2            stride 16 (RepDistiller's f4 is before conv2; conv2
//                                                belongs here so that head() is pool + classifier only)
// preReLU: stages 0–2 end in a linear bottleneck (no relu), so their preReLU is the stage output
// itself; stage 3's is conv2's bn output, before its relu.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/FoldableBatchNorm.h"
#include "models/InvertedResidual.h"
#include "models/StagedNet.h"

namespace distillery::models {

class MobileNetV2 : public StagedNet {
public:
    MobileNetV2(int64_t expandRatio, double widthMultiplier, int64_t inChannels, int64_t numClasses);

private:
    at::Tensor stem(const at::Tensor& image) override;
    at::Tensor runStage(int64_t stage, const at::Tensor& x, at::Tensor* preReLU) override;
    at::Tensor classifier(const at::Tensor& pooled) override;

    // Parameter names as RepDistiller's: conv1.0, conv1.1, blocks.G.i.conv.*, conv2.0, conv2.1, classifier.0.
    torch::nn::Sequential conv1_{nullptr};
    std::vector<std::vector<std::shared_ptr<InvertedResidual>>> groups_;
    torch::nn::Conv2d lastConv_{nullptr};   // conv2.0 and conv2.1, called one by one for the preReLU
    FoldableBatchNorm2d lastBn_{nullptr};
    torch::nn::Sequential classifier_{nullptr};
};

}  // namespace distillery::models
