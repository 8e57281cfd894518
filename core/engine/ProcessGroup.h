#pragma once
// The processes that train one run together (spec "distributed"), through torch's own c10d: a
// ProcessGroupGloo (NCCL on a CUDA build, where LibTorch has it) over a FileStore or a TCPStore for the
// rendezvous. No communication code of our own: every collective here is c10d's.
//
// Collectives are matched by the order in which each process issues them: every process of a run runs
// the same training loop, so they issue the same collectives in the same order. A process that ends
// (killed, crashed) closes its connections and the others' next collective fails at once; one that
// hangs fails them after the spec's timeout. Either way the error says which and what to do.
#include <torch/torch.h>
#include <torch/version.h>

#include <memory>
#include <string>
#include <vector>

// The class c10d's Gloo and NCCL groups derive from, whose collectives this wrapper calls: the
// ProcessGroup itself up to LibTorch 1.x (Debian's 1.13), its Backend from LibTorch 2.0 on.
namespace c10d {
#if TORCH_VERSION_MAJOR >= 2
class Backend;
using CollectiveBackend = Backend;
#else
class ProcessGroup;
using CollectiveBackend = ProcessGroup;
#endif
}  // namespace c10d

namespace distillery::engine {

// Who this process is among the run's, and where they meet.
struct ProcessPlace {
    int rank = 0;
    int worldSize = 1;
    // "file:PATH": a c10d FileStore (one machine, or a file system every node sees); "tcp:HOST:PORT": a
    // TCPStore that rank 0 serves.
    std::string rendezvous;
};

class ProcessGroup {
public:
    // backend: "gloo", "nccl" or "auto" (nccl for a CUDA device where LibTorch has it, else gloo).
    // Blocks until every process has joined, or throws after timeoutSeconds naming the missing ones.
    ProcessGroup(const ProcessPlace& place, const std::string& backend, const c10::Device& device,
                 double timeoutSeconds);
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const { return place_.rank; }
    int worldSize() const { return place_.worldSize; }
    bool isFirst() const { return place_.rank == 0; }
    const std::string& backendName() const { return backendName_; }

    // Each in place, waiting for the result (a host tensor travels through the device with NCCL); a
    // failure throws std::runtime_error in words.
    void allReduceSum(at::Tensor& tensor);
    void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
    // Rank 0's parameters and buffers, copied into every process's module (the same architecture).
    void broadcastModule(torch::nn::Module& module);

    // An all-reduce started now, to be waited for later (the gradient buckets').
    class Pending {
    public:
        void wait();

    private:
        friend class ProcessGroup;
        std::shared_ptr<void> work_;
        const ProcessGroup* group_ = nullptr;
    };
    Pending startAllReduceSum(at::Tensor& tensor);

private:
    [[noreturn]] void fail(const std::string& what, const std::exception& error) const;
    // The tensor as the backend can send it (dense; on the device for NCCL): itself when it already is.
    at::Tensor sendable(const at::Tensor& tensor) const;

    ProcessPlace place_;
    c10::Device device_;
    std::string backendName_;
    double timeoutSeconds_;
    c10::intrusive_ptr<c10d::CollectiveBackend> group_;
};

}  // namespace distillery::engine
