#pragma once
// The runs of one store as a table. Refreshed from the poller's snapshots row by row (changed rows
// emit dataChanged, new runs are inserted, deleted runs removed), so selection and scroll position
// survive every refresh.
#include <optional>

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include "RunListEntry.h"
#include "RunProgress.h"

namespace distillery::views {

class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // The headline (test accuracy at the best validation epoch) comes first of the numbers; the
    // researcher's tags and note, the study and the data set after the progress: in a narrow dock the
    // accuracies and progress matter more.
    enum Column { NameColumn, StatusColumn, MethodColumn, PairColumn, TestAtBestValColumn, BestValAccColumn,
                  ProgressColumn, StudyColumn, TagsColumn, NoteColumn, DatasetColumn, ColumnCount };
    enum Role {
        RunIdRole = Qt::UserRole + 1,   // qint64
        SortRole,                       // numbers for numeric columns, text otherwise
        ProgressRole,                   // double 0..1 while running, invalid otherwise
    };

    explicit RunsTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the contents with a newer snapshot (newest run first, as Store::runs() orders them).
    void setRuns(const RunList& runs);
    // Progress reported by the engine's stdout; fresher than the heartbeat in the store.
    void setLiveProgress(const RunProgress& progress);
    void clear();

    int rowOfRun(qint64 runId) const;                        // -1 when absent
    const RunListEntry* entryOfRun(qint64 runId) const;      // nullptr when absent
    const RunListEntry* entryAt(int row) const;              // nullptr when out of range
    std::optional<RunProgress> liveProgress(qint64 runId) const;
    int countWithStatus(store::RunStatus status) const;
    QStringList allTags() const;   // every tag of the listed runs, sorted, each once

private:
    void resetTo(const RunList& runs);
    double displayedProgress(const RunListEntry& entry) const;

    RunList runs_;
    QHash<qint64, RunProgress> liveProgress_;
};

}  // namespace distillery::views
