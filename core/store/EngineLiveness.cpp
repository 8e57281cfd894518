#include "store/Store.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include <signal.h>
#include <unistd.h>

// Whether the engine that claimed a run still lives: its process on this host, its heartbeat elsewhere.

namespace distillery::store {

double nowSeconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string hostName() {
    char buffer[256] = {0};
    gethostname(buffer, sizeof buffer - 1);
    return buffer;
}

namespace {
// When the process started, in seconds since the epoch, from /proc (Linux); empty elsewhere.
std::optional<double> processStartTime(int64_t pid) {
    std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(statFile, stat)) return std::nullopt;
    // Field 22 (starttime, clock ticks after boot) follows the command name, which may hold spaces.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i != 22) continue;
        std::ifstream bootFile("/proc/stat");
        std::string line;
        while (std::getline(bootFile, line))
            if (line.rfind("btime ", 0) == 0)
                return std::stod(line.substr(6)) + std::stod(field) / double(sysconf(_SC_CLK_TCK));
    }
    return std::nullopt;
}
}  // namespace

bool engineAlive(const std::string& host, std::optional<int64_t> pid, std::optional<double> heartbeat,
                 double staleSeconds) {
    const double lastSign = heartbeat.value_or(0);
    if (host != hostName()) return nowSeconds() - lastSign < staleSeconds;
    if (!pid || *pid <= 0) return nowSeconds() - lastSign < staleSeconds;
    // kill(pid, 0) only asks whether the process exists (EPERM: it does, under another user).
    if (::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) return false;
    const auto started = processStartTime(*pid);
    // A process that started after the engine's last heartbeat is another program with a reused pid.
    // (Clock ticks are coarse: allow a second.)
    return !(started && heartbeat && *started > *heartbeat + 1.0);
}

}  // namespace distillery::store
