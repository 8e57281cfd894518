#pragma once
// The readers under test take a path: each input is written to one file in a private temporary folder
// (per process, so parallel fuzzing jobs do not share it), removed when the process ends.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace distillery::fuzz {

inline const std::string& inputPath(const char* name) {
    static const std::string path = [name] {
        const char* tmp = std::getenv("TMPDIR");
        std::string folder = std::string(tmp && *tmp ? tmp : "/tmp") + "/distillery-fuzz-XXXXXX";
        if (!mkdtemp(folder.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        static const std::string removeAtExit = folder;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(removeAtExit, ec);
        });
        return folder + "/" + name;
    }();
    return path;
}

// Writes the input to the file, replacing what was there.
inline const std::string& writeInput(const char* name, const uint8_t* data, size_t size) {
    const std::string& path = inputPath(name);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file || (size > 0 && std::fwrite(data, 1, size, file) != size) || std::fclose(file) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
    return path;
}

// A broken promise of the code under test: print it and abort, so libFuzzer saves the input.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
    std::abort();
}

}  // namespace distillery::fuzz
