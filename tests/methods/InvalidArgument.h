#pragma once
// The text of the std::invalid_argument a call throws, for tests that check what an error says.
#include <functional>
#include <stdexcept>
#include <string>

// "" when the call throws nothing.
inline std::string invalidArgumentMessage(const std::function<void()>& call) {
    try {
        call();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}
