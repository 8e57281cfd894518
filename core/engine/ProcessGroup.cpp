#include "engine/ProcessGroup.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <stdexcept>

namespace distillery::engine {

namespace {

using Work = c10::intrusive_ptr<c10d::Work>;

#ifdef USE_C10D_NCCL
constexpr bool kHasNccl = true;
#else
constexpr bool kHasNccl = false;
#endif

std::string firstLine(const std::exception& error) {
    std::string text = error.what();
    if (const auto* c10error = dynamic_cast<const c10::Error*>(&error)) text = c10error->what_without_backtrace();
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

c10::intrusive_ptr<c10d::Store> storeFor(const ProcessPlace& place, std::chrono::milliseconds timeout) {
    const std::string& where = place.rendezvous;
    if (where.rfind("file:", 0) == 0)
        return c10::make_intrusive<c10d::FileStore>(where.substr(5), place.worldSize);
    if (where.rfind("tcp:", 0) == 0) {
        const std::string hostPort = where.substr(4);
        const auto colon = hostPort.rfind(':');
        if (colon == std::string::npos) throw std::runtime_error("rendezvous " + where + " has no port (tcp:HOST:PORT)");
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(std::stoi(hostPort.substr(colon + 1)));
        options.isServer = place.rank == 0;
        options.numWorkers = place.worldSize;
        options.waitWorkers = true;
        options.timeout = timeout;
        return c10::make_intrusive<c10d::TCPStore>(hostPort.substr(0, colon), options);
    }
    throw std::runtime_error("rendezvous \"" + where + "\" is neither file:PATH nor tcp:HOST:PORT");
}

}  // namespace

ProcessGroup::ProcessGroup(const ProcessPlace& place, const std::string& backend, const c10::Device& device,
                           double timeoutSeconds)
    : place_(place), device_(device), timeoutSeconds_(timeoutSeconds) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds * 1000));
    const bool nccl = backend == "nccl" || (backend == "auto" && device.is_cuda() && kHasNccl);
    if (nccl && !kHasNccl)
        throw std::runtime_error("distributed.backend nccl: this LibTorch has no NCCL process group (it is a build "
                                 "without CUDA's NCCL); use \"gloo\", or a LibTorch built with NCCL");
    backendName_ = nccl ? "nccl" : "gloo";
    try {
        auto store = storeFor(place, timeout);
#ifdef USE_C10D_NCCL
        if (nccl) {
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            group_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, place.rank, place.worldSize, options);
            return;
        }
#endif
        auto options = c10d::ProcessGroupGloo::Options::create();
        options->timeout = timeout;
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, place.rank, place.worldSize, options);
    } catch (const std::exception& e) {
        throw std::runtime_error("process " + std::to_string(place.rank) + " of " + std::to_string(place.worldSize) +
                                 " could not join the others at " + place.rendezvous + " within " +
                                 std::to_string(int64_t(timeoutSeconds)) + " s: " + firstLine(e) +
                                 " (did every process start? is the rendezvous reachable from each?)");
    }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::fail(const std::string& what, const std::exception& error) const {
    throw std::runtime_error(
        what + " failed in process " + std::to_string(place_.rank) + " of " + std::to_string(place_.worldSize) + ": " +
        firstLine(error) + ". Another process of the run ended or stopped answering (this one waits at most " +
        std::to_string(int64_t(timeoutSeconds_)) +
        " s, distributed.timeout_s); the run stops here and can be resumed from its last checkpoint with the same "
        "number of processes");
}

at::Tensor ProcessGroup::sendable(const at::Tensor& tensor) const {
    // NCCL moves CUDA memory only: a host tensor (a count, a sampler's state) goes through the device.
    // c10d sends dense row-major memory: a channels-last weight goes through a contiguous copy.
    if (backendName_ == "nccl" && !tensor.is_cuda()) return tensor.to(device_).contiguous();
    return tensor.is_contiguous() ? tensor : tensor.contiguous();
}

void ProcessGroup::allReduceSum(at::Tensor& tensor) {
    try {
        std::vector<at::Tensor> tensors{sendable(tensor)};
        group_->allreduce(tensors)->wait();
        if (!tensors[0].is_same(tensor)) tensor.copy_(tensors[0]);
    } catch (const std::exception& e) {
        fail("an all-reduce", e);
    }
}

ProcessGroup::Pending ProcessGroup::startAllReduceSum(at::Tensor& tensor) {
    Pending pending;
    try {
        std::vector<at::Tensor> tensors{tensor};
        pending.work_ = std::make_shared<Work>(group_->allreduce(tensors));
        pending.group_ = this;
    } catch (const std::exception& e) {
        fail("an all-reduce", e);
    }
    return pending;
}

void ProcessGroup::Pending::wait() {
    if (!work_) return;
    try {
        (*std::static_pointer_cast<Work>(work_))->wait();
    } catch (const std::exception& e) {
        group_->fail("an all-reduce of gradients", e);
    }
    work_.reset();
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
    try {
        c10d::BroadcastOptions options;
        options.rootRank = root;
        for (auto& tensor : tensors) {
            std::vector<at::Tensor> one{sendable(tensor)};
            group_->broadcast(one, options)->wait();
            if (!one[0].is_same(tensor)) tensor.copy_(one[0]);
        }
    } catch (const std::exception& e) {
        fail("a broadcast", e);
    }
}

void ProcessGroup::broadcastModule(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> tensors;
    for (auto& p : module.parameters()) tensors.push_back(p.data());
    for (auto& b : module.buffers())
        if (b.defined()) tensors.push_back(b);
    broadcast(tensors, 0);
}

}  // namespace distillery::engine
