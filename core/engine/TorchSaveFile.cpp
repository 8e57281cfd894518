#include "engine/TorchSaveFile.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <c10/util/Exception.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace distillery::engine {

PickleValue::~PickleValue() {
    std::vector<PickleRef> pending;
    const auto release = [&pending](PickleValue& value) {
        for (auto& item : value.items) pending.push_back(std::move(item));
        for (auto& [key, v] : value.entries) {
            pending.push_back(std::move(key));
            pending.push_back(std::move(v));
        }
        value.items.clear();
        value.entries.clear();
    };
    release(*this);
    while (!pending.empty()) {
        PickleRef next = std::move(pending.back());
        pending.pop_back();
        if (next && next.use_count() == 1) release(*next);   // the last owner: empty it before it dies
    }
}

const PickleValue* PickleValue::at(const std::string& key) const {
    if (kind != Kind::Dict) return nullptr;
    for (const auto& [k, v] : entries)
        if (k->kind == Kind::String && k->text == key) return v.get();
    return nullptr;
}

std::string PickleValue::describe() const {
    switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an int";
    case Kind::Float: return "a float";
    case Kind::String: return "a string";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "a list";
    case Kind::Tuple: return "a tuple";
    case Kind::Dict: return "a dict";
    case Kind::Tensor: return "a tensor";
    case Kind::Object: return "a " + text + " object";
    }
    return "a value";
}

namespace {

using Kind = PickleValue::Kind;

PickleRef make(Kind kind) {
    auto v = std::make_shared<PickleValue>();
    v->kind = kind;
    return v;
}

// The element type of a typed storage class ("FloatStorage"), as torch.save names it.
std::optional<at::ScalarType> storageType(const std::string& qualified) {
    static const std::map<std::string, at::ScalarType> types = {
        {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
        {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
        {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
        {"torch.BoolStorage", at::kBool},
    };
    const auto it = types.find(qualified);
    if (it == types.end()) return std::nullopt;
    return it->second;
}

// A pickle machine for the subset of opcodes Python's pickler emits for data (protocols 2 to 5).
// Calls (REDUCE, NEWOBJ) are recognised by the class they name: dicts, tensors and parameters are
// rebuilt; anything else becomes an opaque Object.
class Unpickler {
public:
    Unpickler(const std::string& path, const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& reader)
        : path_(path), data_(data), size_(size), reader_(reader) {}

    PickleValue run() {
        while (true) {
            const size_t at = pos_;
            const uint8_t op = byte();
            switch (op) {
            case 0x80: byte(); break;                        // PROTO
            case 0x95: bytes(8); break;                      // FRAME: a length hint
            case '.':                                        // STOP
                if (stack_.empty()) fail("ends with an empty stack");
                return *stack_.back();
            case '(': marks_.push_back(stack_.size()); break;   // MARK
            case '0': pop(); break;                          // POP
            case '1': popMark(); break;                      // POP_MARK
            case '2': push(top()); break;                    // DUP
            case 'N': push(make(Kind::None)); break;
            case 0x88: push(boolean(true)); break;           // NEWTRUE
            case 0x89: push(boolean(false)); break;          // NEWFALSE
            case 'J': push(integer(int32_t(little(4)))); break;   // BININT
            case 'K': push(integer(int64_t(little(1)))); break;   // BININT1
            case 'M': push(integer(int64_t(little(2)))); break;   // BININT2
            case 0x8a: push(integer(longInt(byte()))); break;     // LONG1
            case 0x8b: push(integer(longInt(little(4)))); break;  // LONG4
            case 'I': push(textInt(line())); break;          // INT (protocol 0; "01"/"00" are bools)
            case 'L': push(integer(std::stoll(line()))); break;   // LONG (protocol 0)
            case 'G': push(binFloat()); break;               // BINFLOAT
            case 'F': push(number(std::stod(line()))); break;     // FLOAT (protocol 0)
            case 'X': push(string(Kind::String, little(4))); break;   // BINUNICODE
            case 0x8c: push(string(Kind::String, byte())); break;     // SHORT_BINUNICODE
            case 0x8d: push(string(Kind::String, little(8))); break;  // BINUNICODE8
            case 'T': push(string(Kind::String, little(4))); break;   // BINSTRING
            case 'U': push(string(Kind::String, byte())); break;      // SHORT_BINSTRING
            case 'B': push(string(Kind::Bytes, little(4))); break;    // BINBYTES
            case 'C': push(string(Kind::Bytes, byte())); break;       // SHORT_BINBYTES
            case 0x8e: push(string(Kind::Bytes, little(8))); break;   // BINBYTES8
            case ')': push(make(Kind::Tuple)); break;        // EMPTY_TUPLE
            case 't': push(sequence(Kind::Tuple, popMark())); break;  // TUPLE
            case 0x85: push(sequence(Kind::Tuple, popN(1))); break;   // TUPLE1
            case 0x86: push(sequence(Kind::Tuple, popN(2))); break;   // TUPLE2
            case 0x87: push(sequence(Kind::Tuple, popN(3))); break;   // TUPLE3
            case ']': push(make(Kind::List)); break;         // EMPTY_LIST
            case 'l': push(sequence(Kind::List, popMark())); break;   // LIST
            case 0x8f: push(make(Kind::List)); break;        // EMPTY_SET (kept as a list)
            case 0x91: push(sequence(Kind::List, popMark())); break;  // FROZENSET
            case 'a': {                                      // APPEND
                PickleRef v = pop();
                append(top(), {v});
                break;
            }
            case 'e': case 0x90: {                           // APPENDS, ADDITEMS
                auto items = popMark();
                append(top(), std::move(items));
                break;
            }
            case '}': push(make(Kind::Dict)); break;         // EMPTY_DICT
            case 'd': {                                      // DICT
                auto dict = make(Kind::Dict);
                setItems(dict, popMark());
                push(dict);
                break;
            }
            case 's': {                                      // SETITEM
                auto value = pop();
                auto key = pop();
                setItems(top(), {key, value});
                break;
            }
            case 'u': {                                      // SETITEMS
                auto items = popMark();
                setItems(top(), std::move(items));
                break;
            }
            case 'c': {                                      // GLOBAL
                std::string module = line();
                push(global(module + "." + line()));
                break;
            }
            case 0x93: {                                     // STACK_GLOBAL
                auto name = pop(), module = pop();
                push(global(module->text + "." + name->text));
                break;
            }
            case 'R': {                                      // REDUCE
                auto args = pop();
                auto callable = pop();
                push(call(*callable, args));
                break;
            }
            case 0x81: {                                     // NEWOBJ
                auto args = pop();
                auto cls = pop();
                push(call(*cls, args));
                break;
            }
            case 0x92: {                                     // NEWOBJ_EX
                pop();
                auto args = pop();
                auto cls = pop();
                push(call(*cls, args));
                break;
            }
            // BUILD sets an object's attributes (an OrderedDict's _metadata, a tensor's Python
            // attributes); none of them holds weights, so the state is dropped.
            case 'b': pop(); break;
            case 'Q': push(storage(pop())); break;           // BINPERSID
            case 'P': fail("uses text persistent ids, which torch.save never writes"); break;
            case 'q': memo_[little(1)] = top(); break;       // BINPUT
            case 'r': memo_[little(4)] = top(); break;       // LONG_BINPUT
            case 'p': memo_[std::stoull(line())] = top(); break;   // PUT
            case 0x94: memo_[memo_.size()] = top(); break;  // MEMOIZE
            case 'h': push(memo(little(1))); break;          // BINGET
            case 'j': push(memo(little(4))); break;          // LONG_BINGET
            case 'g': push(memo(std::stoull(line()))); break;   // GET
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                fail("uses the pickle opcode " + std::string(hex) + " at byte " + std::to_string(at) +
                     ", which a torch.save of tensors, numbers, strings, lists and dicts does not");
            }
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw TorchSaveError(TorchSaveError::Reason::Damaged, "\"" + path_ + "\" cannot be read: its data.pkl " + what);
    }
    uint8_t byte() {
        if (pos_ >= size_) fail("is cut short");
        return uint8_t(data_[pos_++]);
    }
    const char* bytes(uint64_t n) {
        if (n > size_ - pos_) fail("is cut short");
        const char* p = data_ + pos_;
        pos_ += n;
        return p;
    }
    uint64_t little(int n) {
        const char* p = bytes(uint64_t(n));
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
        return v;
    }
    std::string line() {
        const size_t start = pos_;
        while (byte() != '\n') {}
        return std::string(data_ + start, pos_ - start - 1);
    }
    // A little-endian two's-complement integer of n bytes (LONG1, LONG4).
    int64_t longInt(uint64_t n) {
        if (n > 8) fail("holds an integer wider than 64 bits");
        if (n == 0) return 0;
        uint64_t v = little(int(n));
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);   // sign-extend
        return int64_t(v);
    }
    PickleRef binFloat() {
        const char* p = bytes(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | uint8_t(p[i]);   // big-endian
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return number(d);
    }
    PickleRef textInt(const std::string& text) {
        if (text == "00" || text == "01") return boolean(text == "01");
        return integer(std::stoll(text));
    }
    static PickleRef boolean(bool b) {
        auto v = make(Kind::Bool);
        v->boolean = b;
        return v;
    }
    static PickleRef integer(int64_t i) {
        auto v = make(Kind::Int);
        v->integer = i;
        return v;
    }
    static PickleRef number(double d) {
        auto v = make(Kind::Float);
        v->number = d;
        return v;
    }
    PickleRef string(Kind kind, uint64_t n) {
        auto v = make(kind);
        const char* p = bytes(n);
        v->text.assign(p, n);
        return v;
    }
    static PickleRef sequence(Kind kind, std::vector<PickleRef> items) {
        auto v = make(kind);
        v->items = std::move(items);
        return v;
    }
    static PickleRef global(const std::string& name) {
        auto v = make(Kind::Object);   // a class or function, until called
        v->text = name;
        return v;
    }

    void push(PickleRef v) { stack_.push_back(std::move(v)); }
    PickleRef& top() {
        if (stack_.empty()) fail("reads from an empty stack");
        return stack_.back();
    }
    PickleRef pop() {
        PickleRef v = top();
        stack_.pop_back();
        return v;
    }
    std::vector<PickleRef> popN(size_t n) {
        if (stack_.size() < n) fail("reads from an empty stack");
        std::vector<PickleRef> items(stack_.end() - long(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return items;
    }
    std::vector<PickleRef> popMark() {
        if (marks_.empty() || marks_.back() > stack_.size()) fail("has no mark to pop to");
        const size_t mark = marks_.back();
        marks_.pop_back();
        return popN(stack_.size() - mark);
    }
    PickleRef memo(uint64_t key) {
        const auto it = memo_.find(key);
        if (it == memo_.end()) fail("refers to memo entry " + std::to_string(key) + " before storing it");
        return it->second;
    }
    // Whether `target` is `from` or inside it. A list or dict that contains itself is legal pickle but
    // never a state dict; refusing it keeps the shared_ptr tree acyclic (a cycle would never be freed).
    // Walks with its own stack: nesting depth is the file's to choose.
    void refuseCycle(const PickleRef& container, const std::vector<PickleRef>& items) const {
        std::set<const PickleValue*> seen;
        std::vector<const PickleValue*> pending;
        for (const auto& item : items) pending.push_back(item.get());
        while (!pending.empty()) {
            const PickleValue* value = pending.back();
            pending.pop_back();
            if (value == container.get())
                fail("puts " + container->describe() + " inside itself, which a state dict never does");
            if (!seen.insert(value).second) continue;
            for (const auto& item : value->items) pending.push_back(item.get());
            for (const auto& [key, v] : value->entries) {
                pending.push_back(key.get());
                pending.push_back(v.get());
            }
        }
    }
    void append(const PickleRef& list, std::vector<PickleRef> items) {
        if (list->kind != Kind::List) fail("appends to " + list->describe());
        refuseCycle(list, items);
        for (auto& item : items) list->items.push_back(std::move(item));
    }
    void setItems(const PickleRef& dict, std::vector<PickleRef> items) {
        if (dict->kind != Kind::Dict) fail("sets items of " + dict->describe());
        if (items.size() % 2 != 0) fail("sets a key without a value");
        refuseCycle(dict, items);
        for (size_t i = 0; i < items.size(); i += 2) {
            bool replaced = false;
            if (items[i]->kind == Kind::String)
                for (auto& entry : dict->entries)
                    if (entry.first->kind == Kind::String && entry.first->text == items[i]->text) {
                        entry.second = items[i + 1];
                        replaced = true;
                    }
            if (!replaced) dict->entries.emplace_back(items[i], items[i + 1]);
        }
    }

    // ('storage', torch.FloatStorage, key, location, numel): the archive's record data/<key>, read
    // once and shared by every tensor viewing it, on the CPU whatever location it names.
    PickleRef storage(const PickleRef& id) {
        const auto& t = id->items;
        if (id->kind != Kind::Tuple || t.size() < 5 || t[0]->text != "storage" || t[2]->kind != Kind::String ||
            t[4]->kind != Kind::Int)
            fail("holds a persistent id other than a tensor storage");
        const auto type = storageType(t[1]->text);
        if (!type) fail("holds a storage of type " + t[1]->text + ", which Distillery does not read");
        const std::string& key = t[2]->text;
        auto cached = storages_.find(key);
        if (cached == storages_.end()) {
            at::DataPtr data;
            size_t size = 0;
            try {
                std::tie(data, size) = reader_.getRecord("data/" + key);
            } catch (const c10::Error&) {
                fail("names the storage data/" + key + ", which the archive does not hold");
            }
            const int64_t numel = t[4]->integer;
            if (numel < 0 || uint64_t(numel) * c10::elementSize(*type) != size)
                fail("names a storage data/" + key + " of " + std::to_string(numel) + " elements, but the record holds " +
                     std::to_string(size) + " bytes");
            at::Tensor flat = at::empty({numel}, at::TensorOptions().dtype(*type));
            if (size > 0) std::memcpy(flat.data_ptr(), data.get(), size);
            cached = storages_.emplace(key, flat).first;
        }
        auto v = make(Kind::Tensor);   // the storage, until a rebuild call views it
        v->tensor = cached->second;
        return v;
    }

    static std::vector<int64_t> ints(const PickleValue& tuple) {
        std::vector<int64_t> out;
        for (const auto& item : tuple.items) out.push_back(item->integer);
        return out;
    }

    PickleRef call(const PickleValue& callable, const PickleRef& args) {
        const std::string& name = callable.text;
        const auto& a = args->items;
        if (callable.kind == Kind::Object && (name == "collections.OrderedDict" || name == "builtins.dict")) {
            auto dict = make(Kind::Dict);
            // OrderedDict([(key, value), …]): pickle protocols 0 and 1 pass the items as an argument.
            if (!a.empty() && a[0]->kind == Kind::List)
                for (const auto& pair : a[0]->items)
                    if (pair->items.size() == 2) setItems(dict, {pair->items[0], pair->items[1]});
            return dict;
        }
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
            // (storage, storage_offset, size, stride, …)
            if (a.size() < 4 || a[0]->kind != Kind::Tensor || a[1]->kind != Kind::Int || a[2]->kind != Kind::Tuple ||
                a[3]->kind != Kind::Tuple)
                fail("calls " + name + " with arguments it does not take");
            const auto sizes = ints(*a[2]), strides = ints(*a[3]);
            if (sizes.size() != strides.size()) fail("gives a tensor " + std::to_string(sizes.size()) + " sizes and " +
                                                     std::to_string(strides.size()) + " strides");
            int64_t last = a[1]->integer;   // the largest element index the view reaches must be in the storage
            for (size_t i = 0; i < sizes.size(); ++i) {
                if (sizes[i] < 0 || strides[i] < 0) fail("gives a tensor a negative size or stride");
                if (sizes[i] == 0) last = -1;
                if (last >= 0) last += (sizes[i] - 1) * strides[i];
            }
            if (a[1]->integer < 0 || last >= a[0]->tensor.numel())
                fail("views a tensor beyond the end of its storage");
            auto v = make(Kind::Tensor);
            v->tensor = a[0]->tensor.as_strided(sizes, strides, a[1]->integer);
            return v;
        }
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
            if (a.empty() || a[0]->kind != Kind::Tensor) fail("calls " + name + " without a tensor");
            return a[0];
        }
        auto object = make(Kind::Object);   // an object of a class this reader does not rebuild
        object->text = name;
        object->items = a;
        return object;
    }

    const std::string& path_;
    const char* data_;
    size_t size_;
    size_t pos_ = 0;
    caffe2::serialize::PyTorchStreamReader& reader_;
    std::vector<PickleRef> stack_;
    std::vector<size_t> marks_;
    std::map<uint64_t, PickleRef> memo_;
    std::map<std::string, at::Tensor> storages_;
};

}  // namespace

PickleValue readTorchSaveFile(const std::string& path) {
    using Reason = TorchSaveError::Reason;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TorchSaveError(Reason::Unreadable, "\"" + path + "\" cannot be opened (missing, or no permission)");
    char head[2] = {0, 0};
    in.read(head, 2);
    in.close();
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    try {
        reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error&) {
        // The legacy format is a bare pickle stream: it starts with the PROTO opcode.
        if (uint8_t(head[0]) == 0x80)
            throw TorchSaveError(Reason::LegacyFormat,
                                 "\"" + path + "\" is a torch.save file in the format before PyTorch 1.6, which "
                                 "Distillery does not read; re-save it in Python with torch.save(torch.load(\"" + path +
                                 "\"), \"new.pth\")");
        throw TorchSaveError(Reason::NotZip, "\"" + path + "\" is not a torch.save file (not a zip archive)");
    }
    if (reader->hasRecord("constants.pkl") || !reader->hasRecord("data.pkl"))
        throw TorchSaveError(Reason::TorchScript,
                             "\"" + path + "\" is a TorchScript archive (torch.jit.save) or a Distillery checkpoint, "
                             "not a torch.save file");
    at::DataPtr pickle;
    size_t size = 0;
    try {
        std::tie(pickle, size) = reader->getRecord("data.pkl");
    } catch (const c10::Error& e) {
        throw TorchSaveError(Reason::Damaged, "\"" + path + "\" cannot be read: " +
                                                  std::string(e.what_without_backtrace()).substr(0, 200));
    }
    try {
        return Unpickler(path, static_cast<const char*>(pickle.get()), size, *reader).run();
    } catch (const std::logic_error&) {   // std::stoll and std::stod on a malformed text opcode
        throw TorchSaveError(Reason::Damaged, "\"" + path + "\" cannot be read: its data.pkl holds a malformed number");
    }
}

}  // namespace distillery::engine
