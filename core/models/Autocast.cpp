#include "models/Autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace distillery::models {

namespace {
// Autocast's state of one device type (CUDA or CPU here).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
// LibTorch 2.4 keys the state by device type and deprecates the CUDA- and CPU-named calls, each of
// which then logs a warning at every call: hundreds of lines a run.
bool enabledOn(c10::DeviceType device) { return at::autocast::is_autocast_enabled(device); }
void setEnabledOn(c10::DeviceType device, bool enabled) { at::autocast::set_autocast_enabled(device, enabled); }
at::ScalarType typeOn(c10::DeviceType device) { return at::autocast::get_autocast_dtype(device); }
void setTypeOn(c10::DeviceType device, at::ScalarType type) { at::autocast::set_autocast_dtype(device, type); }
#else
bool cuda(c10::DeviceType device) { return device == c10::DeviceType::CUDA; }
bool enabledOn(c10::DeviceType device) {
    return cuda(device) ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void setEnabledOn(c10::DeviceType device, bool enabled) {
    cuda(device) ? at::autocast::set_enabled(enabled) : at::autocast::set_cpu_enabled(enabled);
}
at::ScalarType typeOn(c10::DeviceType device) {
    return cuda(device) ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void setTypeOn(c10::DeviceType device, at::ScalarType type) {
    cuda(device) ? at::autocast::set_autocast_gpu_dtype(type) : at::autocast::set_autocast_cpu_dtype(type);
}
#endif
}  // namespace

AutocastScope::AutocastScope(at::ScalarType computeType, c10::DeviceType deviceType) {
    if (computeType == at::kFloat) return;
    active_ = true;
    // Autocast knows CUDA and the CPU; every other device type is treated as the CPU, as before.
    device_ = deviceType == c10::DeviceType::CUDA ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    wasEnabled_ = enabledOn(device_);
    previousType_ = typeOn(device_);
    setTypeOn(device_, computeType);
    setEnabledOn(device_, true);
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!active_) return;
    // The cache of low-precision weight copies lives as long as the outermost scope: one cast per step.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setEnabledOn(device_, wasEnabled_);
    setTypeOn(device_, previousType_);
}

}  // namespace distillery::models
