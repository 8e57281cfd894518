#pragma once
// The events of one run (the engine's log in the store) as a table: time, level, message, oldest
// first. Appends ignore events already listed, so a run watched again does not list them twice.
#include <QAbstractTableModel>

#include "DiagnosticsTypes.h"

namespace distillery::views {

class RunLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, LevelColumn, MessageColumn, ColumnCount };

    explicit RunLogModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void clear();
    void appendEvents(const distillery::views::EventRows& rows);   // rows ordered by id
    const store::EventRow& event(int row) const { return events_.at(size_t(row)); }

private:
    EventRows events_;
};

}  // namespace distillery::views
