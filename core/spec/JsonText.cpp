#include "spec/JsonText.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <vector>

namespace distillery::spec {

using nlohmann::json;

namespace {

// Tracks where a byte offset of JSON text sits: the open arrays and objects, each object's current
// key and each array's element index. Tolerant of malformed text: it only follows strings and brackets.
class StructureScan {
public:
    // Scans text[0, end). Returns the offset of the bracket that opens level kMaxJsonDepth + 1, or end.
    size_t scan(const std::string& text, size_t end) {
        bool inString = false, escaped = false, collectingKey = false;
        std::string key;
        for (size_t i = 0; i < end && i < text.size(); ++i) {
            const char c = text[i];
            if (inString) {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') {
                    inString = false;
                    if (collectingKey) frames_.back().key = key;
                    continue;
                }
                if (collectingKey && key.size() < 200) key += c;
                continue;
            }
            switch (c) {
            case '"':
                inString = true;
                collectingKey = !frames_.empty() && frames_.back().object && frames_.back().expectingKey;
                key.clear();
                break;
            case '{':
            case '[':
                if (frames_.size() >= size_t(kMaxJsonDepth)) return i;
                frames_.push_back({c == '{', c == '{', 0, {}});
                break;
            case '}':
            case ']':
                if (!frames_.empty()) frames_.pop_back();
                break;
            case ',':
                if (!frames_.empty()) {
                    if (frames_.back().object) frames_.back().expectingKey = true;
                    else ++frames_.back().index;
                }
                break;
            case ':':
                if (!frames_.empty() && frames_.back().object) frames_.back().expectingKey = false;
                break;
            default:
                break;
            }
        }
        return end;
    }

    // "optim.lr", "runs[1].method.paths[0]"; where an object expects its next key, "after optim.lr"
    // (the key before), or "" when there is none.
    std::string path() const {
        std::string out;
        bool between = false;
        for (const Frame& f : frames_) {
            if (!f.object) {
                out += "[" + std::to_string(f.index) + "]";
            } else {
                if (f.key.empty()) break;   // before the object's first key
                out += (out.empty() ? "" : ".") + f.key;
                if (f.expectingKey) {
                    between = true;
                    break;
                }
            }
        }
        constexpr size_t kLongest = 80;   // a path through dozens of levels says nothing more
        if (out.size() > kLongest) out = out.substr(0, out.find_last_of("[.", kLongest - 3)) + "...";
        return between ? "after " + out : out;
    }

private:
    struct Frame {
        bool object;
        bool expectingKey;
        int64_t index;
        std::string key;
    };
    std::vector<Frame> frames_;
};

// "line 3, column 14 (optim.lr)" for a byte offset; columns count characters, not UTF-8 bytes.
std::string where(const std::string& text, size_t offset) {
    int64_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n') {
            ++line;
            column = 1;
        } else if ((byte & 0xC0) != 0x80) {
            ++column;
        }
    }
    StructureScan scan;
    scan.scan(text, offset);
    const std::string field = scan.path();
    return "line " + std::to_string(line) + ", column " + std::to_string(column) +
           (field.empty() ? "" : " (" + field + ")");
}

// Forwards to nlohmann's DOM builder but keeps the error's position instead of throwing
// (a number too large for a double is reported as out_of_range without a position otherwise).
class RecordingSax {
public:
    explicit RecordingSax(json& root) : dom_(root, false) {}

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(json::number_float_t v, const json::string_t& s) { return dom_.number_float(v, s); }
    bool string(json::string_t& v) { return dom_.string(v); }
    bool binary(json::binary_t& v) { return dom_.binary(v); }
    bool start_object(std::size_t n) { return dom_.start_object(n); }
    bool key(json::string_t& v) { return dom_.key(v); }
    bool end_object() { return dom_.end_object(); }
    bool start_array(std::size_t n) { return dom_.start_array(n); }
    bool end_array() { return dom_.end_array(); }

    template <class Exception>
    bool parse_error(std::size_t position, const std::string& /*token: not only the token in 3.11*/, const Exception& e) {
        failed = true;
        errorPosition = position;
        errorId = e.id;
        errorText = e.what();
        return false;
    }

    bool failed = false;
    size_t errorPosition = 0;
    std::string errorText;
    int errorId = 0;

private:
    nlohmann::detail::json_sax_dom_parser<json> dom_;
};

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 14: syntax error while
// parsing object - unexpected ','; expected string literal" without the id and the position (given
// separately, counted from the token's start).
std::string plainReason(const std::string& what) {
    std::string reason = what;
    if (!reason.empty() && reason.front() == '[') {
        const size_t close = reason.find("] ");
        if (close != std::string::npos) reason = reason.substr(close + 2);
    }
    if (reason.rfind("parse error", 0) == 0) {
        const size_t colon = reason.find(": ");
        if (colon != std::string::npos) reason = reason.substr(colon + 2);
    }
    return reason;
}

}  // namespace

JsonText parseJsonText(const std::string& text) {
    JsonText result;
    {
        StructureScan scan;
        const size_t deep = scan.scan(text, text.size());
        if (deep < text.size()) {
            result.error = SpecError{where(text, deep),
                                     "nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                         " levels of [ and {; a run spec nests at most 5, so the file is "
                                         "corrupt or not a spec"};
            return result;
        }
    }
    RecordingSax sax(result.value);
    try {
        json::sax_parse(text, &sax, json::input_format_t::json, /*strict=*/true);
    } catch (const json::exception& e) {   // not expected with a non-throwing SAX; kept as a net
        sax.failed = true;
        sax.errorText = e.what();
        sax.errorPosition = text.size();
    }
    if (!sax.failed) return result;

    // The position counts the characters read: the last one, where the parser gave up, is at
    // position - 1. A number too large is reported from its first character.
    size_t at = std::min(sax.errorPosition > 0 ? sax.errorPosition - 1 : 0, text.size());
    std::string message;
    if (sax.errorId == 406) {   // nlohmann: number overflow
        const size_t end = std::min(at + 1, text.size());
        const auto isNumberChar = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || std::strchr("+-.eE", c); };
        while (at > 0 && isNumberChar(text[at - 1])) --at;
        message = "number " + text.substr(at, std::min<size_t>(end - at, 40)) +
                  " is out of range for a double (largest about 1.8e308); write a number in range";
    } else {
        message = "invalid JSON: " + plainReason(sax.errorText);
    }
    result.value = nullptr;
    result.error = SpecError{where(text, at), message};
    return result;
}

}  // namespace distillery::spec
