#pragma once

#include <stdexcept>
#include <string>

namespace distillery::spec {

// An error a spec field causes beyond what the parser can see (a stage the student does not have, a
// teacher file that does not load). It carries the field's path so that whoever shows it (the
// designer) places it under that field without reading the path back out of the message. The message
// is the whole sentence the CLI prints and a failed run records (what() is the message); it usually
// starts with the field it names, in the words of the method ("fitnet.stage: …") or of the spec
// (prefixed(): "teacher.run_id: …").
class FieldError : public std::invalid_argument {
public:
    FieldError(std::string path, const std::string& message)
        : std::invalid_argument(message), path_(std::move(path)), message_(message) {}
    // The message "path: text".
    static FieldError prefixed(const std::string& path, const std::string& text) { return {path, path + ": " + text}; }

    const std::string& path() const { return path_; }       // "method.stage", "method.paths", "teacher.torchscript"
    const std::string& message() const { return message_; }

private:
    std::string path_;
    std::string message_;
};

}  // namespace distillery::spec
