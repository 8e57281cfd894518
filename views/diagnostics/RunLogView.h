#pragma once
// The log tab: the run's events from the store (time, level, message), newest at the bottom and
// followed live while the view is scrolled to the bottom; below them the last lines the GUI kept
// from the engine's stderr, when there are any (a failed run's best clue).
#include <QStringList>
#include <QWidget>

#include "DiagnosticsTypes.h"

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace distillery::views {

class RunLogModel;

class RunLogView : public QWidget {
    Q_OBJECT
public:
    explicit RunLogView(QWidget* parent = nullptr);

    qint64 runId() const { return runId_; }
    void showRun(qint64 runId);   // clears the events and the stderr lines
    void appendEvents(qint64 runId, const distillery::views::EventRows& rows);
    void setStderrTail(const QStringList& lines);   // empty: the stderr section is hidden

    RunLogModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    QString stderrText() const;

private:
    qint64 runId_ = 0;
    RunLogModel* model_;
    QTableView* table_;
    QLabel* stderrLabel_;
    QPlainTextEdit* stderr_;
};

}  // namespace distillery::views
