#include "engine/CrashPoints.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <signal.h>
#include <unistd.h>

#include "store/Store.h"

namespace distillery::engine {

namespace {
std::string armedName;
long remaining = 0;   // arrivals left before the kill; 0: disarmed
std::string poisonTerm;
int64_t poisonStep = -1;
}  // namespace

void installCrashPoints() {
    if (const char* poison = std::getenv("DISTILLERY_POISON_LOSS"); poison && *poison) {
        const std::string text = poison;
        const size_t colon = text.rfind(':');
        if (colon != std::string::npos) {
            poisonTerm = text.substr(0, colon);
            poisonStep = std::strtoll(text.c_str() + colon + 1, nullptr, 10);
        }
    }
    const char* spec = std::getenv("DISTILLERY_CRASH_AT");
    if (!spec || !*spec) return;
    const std::string text = spec;
    const size_t colon = text.find(':');
    armedName = text.substr(0, colon);
    remaining = colon == std::string::npos ? 1 : std::strtol(text.c_str() + colon + 1, nullptr, 10);
    if (remaining < 1) remaining = 1;
    store::Store::setBeforeCommitHook([] { crashPoint("commit"); });
}

void crashPoint(const char* name) {
    if (remaining == 0 || armedName != name) return;
    if (--remaining > 0) return;
    static const char message[] = "DISTILLERY_CRASH_AT: killing the engine now\n";
    (void)!::write(STDERR_FILENO, message, sizeof message - 1);
    ::kill(::getpid(), SIGKILL);
}

const std::string& poisonedLossTerm(int64_t step) {
    static const std::string none;
    return step == poisonStep ? poisonTerm : none;
}

}  // namespace distillery::engine
