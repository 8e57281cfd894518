#pragma once
// One progress line of the engine (`--progress json`), parsed. A plain value type for signals.
#include <cstdint>

#include <QMetaType>

namespace distillery::views {

struct RunProgress {
    qint64 runId = 0;
    int epoch = 0;
    int epochs = 0;
    qint64 step = 0;
    qint64 totalSteps = 0;
    double loss = 0;
    double acc = 0;            // percent
    double etaSeconds = -1;    // < 0: unknown
    double progress = 0;       // 0..1
};

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::RunProgress)
