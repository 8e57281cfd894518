#include "BarProgress.h"

#include <string>

namespace {
std::string clock(double seconds) {
    const long s = static_cast<long>(seconds + 0.5);
    char buffer[32];
    if (s >= 3600) std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
    return buffer;
}
}  // namespace

void BarProgress::report(const distillery::engine::Progress& p) {
    constexpr int width = 24;
    const int filled = static_cast<int>(p.fraction * width + 0.5);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    char val[32] = "";
    if (p.valAcc >= 0) std::snprintf(val, sizeof val, " val %.2f%%", p.valAcc);
    // \r and erase-line redraw the bar in place; log lines use the same prefix (see main.cpp).
    std::fprintf(out_, "\r\033[K%s [%s] %3.0f%% epoch %lld/%lld step %lld/%lld loss %.4f acc %.1f%%%s %.0f img/s %s%s",
                 p.runName.c_str(), bar.c_str(), 100 * p.fraction, static_cast<long long>(p.epoch),
                 static_cast<long long>(p.epochs), static_cast<long long>(p.step), static_cast<long long>(p.totalSteps),
                 p.loss, p.trainAcc, val, p.imagesPerSecond, p.phase == "eval" ? "evaluating " : "ETA ",
                 p.phase == "eval" ? "" : clock(p.etaSeconds).c_str());
    std::fflush(out_);
}

void BarProgress::finish(const distillery::engine::Progress& p) {
    report(p);
    std::fprintf(out_, "\n");
    std::fflush(out_);
}
