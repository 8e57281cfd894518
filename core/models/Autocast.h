#pragma once
// Autocast for the networks' forward passes: while a scope lives, this thread's convolutions and
// matrix products on the device type compute in the given low precision (bf16 or fp16), the rest as
// autocast decides per operation. float32 makes it a no-op. The engine opens one around the step's
// forward passes; methods that run network stages inside their losses (SAKD's multi-path network,
// AdaIN's re-normalised teacher, amap's hybrid teacher) open their own with the run's type, which
// DistillerContext::forwardType gives them.
#include <ATen/ATen.h>
#include <c10/core/DeviceType.h>

namespace distillery::models {

class AutocastScope {
public:
    AutocastScope(at::ScalarType computeType, c10::DeviceType deviceType);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool active_ = false;
    c10::DeviceType device_ = c10::DeviceType::CPU;
    bool wasEnabled_ = false;
    at::ScalarType previousType_ = at::kFloat;
};

}  // namespace distillery::models
