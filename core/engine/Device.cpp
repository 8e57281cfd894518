#include "engine/Device.h"

#include <torch/cuda.h>

#include <stdexcept>

namespace distillery::engine {

c10::Device resolveDevice(const std::string& name) {
    const bool cuda = torch::cuda::is_available();
    if (name == "auto") return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    if (name == "cpu") return c10::Device(c10::kCPU);
    if (name.rfind("cuda", 0) == 0) {
        if (!cuda)
            throw std::runtime_error("device: \"" + name + "\" was asked for, but this LibTorch build sees no CUDA "
                                     "device; set \"device\": \"cpu\" or \"auto\" in the spec");
        const c10::Device device(name);
        const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
        if (device.has_index() && device.index() >= count)
            throw std::runtime_error("device: \"" + name + "\" does not exist; this machine has " +
                                     std::to_string(count) + " CUDA device(s), cuda:0 … cuda:" + std::to_string(count - 1));
        return device;
    }
    throw std::runtime_error("device: unknown \"" + name + "\"; use auto, cpu, cuda or cuda:N");
}

}  // namespace distillery::engine
