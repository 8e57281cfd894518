#pragma once
// The line above the curves: the selected run's name, status, progress bar and time left, and the
// error of a failed run.
#include <optional>

#include <QWidget>

#include "RunListEntry.h"
#include "RunProgress.h"

class QLabel;
class QProgressBar;

namespace distillery::views {

class RunHeader : public QWidget {
    Q_OBJECT
public:
    explicit RunHeader(QWidget* parent = nullptr);

    // entry == nullptr: no run selected. live: the engine's latest progress line, when the GUI runs it.
    void showRun(const RunListEntry* entry, const std::optional<RunProgress>& live);

    QString nameText() const;
    QString statusText() const;
    QString etaText() const;
    int progressPermille() const;   // 0..1000

    // "2 h 05 min", "4 min 10 s", "12 s"
    static QString formatDuration(double seconds);

private:
    QLabel* icon_;
    QLabel* name_;
    QLabel* status_;
    QProgressBar* progress_;
    QLabel* eta_;
    QLabel* error_;
};

}  // namespace distillery::views
