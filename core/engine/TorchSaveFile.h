#pragma once
// Reads a file written by Python's torch.save (the zip format, PyTorch >= 1.6) into a tree of plain
// values, every tensor on the CPU whatever device it was saved from.
//
// Why not torch::pickle_load: LibTorch 1.13's unpickler turns every collections.OrderedDict into None
// (it expects one only as a tensor's empty backward hooks), and a model's state_dict() is an
// OrderedDict; it also stops at any Python class it does not know (argparse.Namespace, numpy scalars),
// where research checkpoints keep their options and best accuracy, and puts CUDA tensors back on CUDA.
// This reader understands the pickle opcodes of protocols 2 to 5, rebuilds tensors from the archive's
// storages, and keeps any other Python object as an opaque value naming its class. It executes
// nothing: a pickle's calls are only recognised, never made.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace distillery::engine {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor, Object };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double number = 0;
    std::string text;                                  // String, Bytes; Object: "module.Class"
    std::vector<PickleRef> items;                      // List, Tuple; Object: its constructor's arguments
    std::vector<std::pair<PickleRef, PickleRef>> entries;   // Dict, in the file's order
    at::Tensor tensor;

    PickleValue() = default;
    PickleValue(const PickleValue&) = default;
    PickleValue(PickleValue&&) = default;
    PickleValue& operator=(const PickleValue&) = default;
    PickleValue& operator=(PickleValue&&) = default;
    // Frees nested values with a loop, not recursion: a hostile file nests a million tuples in a
    // megabyte, and a recursive destructor would overflow the stack.
    ~PickleValue();

    // The value of a Dict under a string key, or null.
    const PickleValue* at(const std::string& key) const;
    // "a dict", "a tensor", "a argparse.Namespace object": for error messages.
    std::string describe() const;
};

// What is wrong with a file that is not a readable torch.save file.
class TorchSaveError : public std::runtime_error {
public:
    enum class Reason {
        Unreadable,        // missing or cannot be opened
        NotZip,            // not a zip archive at all
        LegacyFormat,      // torch.save's pre-1.6 format (_use_new_zipfile_serialization=False)
        TorchScript,       // a torch.jit.save archive (or a Distillery checkpoint of an older version)
        Damaged,           // a zip archive whose pickle or storages cannot be read
    };
    TorchSaveError(Reason reason, const std::string& message) : std::runtime_error(message), reason_(reason) {}
    Reason reason() const { return reason_; }

private:
    Reason reason_;
};

// Throws TorchSaveError; the message names the file and what was found instead.
PickleValue readTorchSaveFile(const std::string& path);

}  // namespace distillery::engine
