#include "models/Autocast.h"

#include <ATen/autocast_mode.h>

namespace distillery::models {

AutocastScope::AutocastScope(at::ScalarType computeType, c10::DeviceType deviceType) {
    if (computeType == at::kFloat) return;
    active_ = true;
    cuda_ = deviceType == c10::DeviceType::CUDA;
    if (cuda_) {
        wasEnabled_ = at::autocast::is_enabled();
        previousType_ = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(computeType);
        at::autocast::set_enabled(true);
    } else {
        wasEnabled_ = at::autocast::is_cpu_enabled();
        previousType_ = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(computeType);
        at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!active_) return;
    // The cache of low-precision weight copies lives as long as the outermost scope: one cast per step.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cuda_) {
        at::autocast::set_enabled(wasEnabled_);
        at::autocast::set_autocast_gpu_dtype(previousType_);
    } else {
        at::autocast::set_cpu_enabled(wasEnabled_);
        at::autocast::set_autocast_cpu_dtype(previousType_);
    }
}

}  // namespace distillery::models
