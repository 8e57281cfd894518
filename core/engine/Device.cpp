#include "engine/Device.h"

#include <torch/cuda.h>

#include <stdexcept>

namespace distillery::engine {

namespace {
int localProcessIndex = 0;
}

void setLocalProcessIndex(int index) { localProcessIndex = index; }

c10::Device resolveDevice(const std::string& name) {
    const bool cuda = torch::cuda::is_available();
    const auto own = [] {
        const int count = static_cast<int>(torch::cuda::device_count());
        return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(count > 0 ? localProcessIndex % count : 0));
    };
    if (name == "auto") return cuda ? own() : c10::Device(c10::kCPU);
    if (name == "cuda" && cuda) return own();
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
