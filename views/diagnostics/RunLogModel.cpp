#include "RunLogModel.h"

#include <QColor>
#include <QDateTime>

#include "OkabeItoPalette.h"
#include "PlainText.h"

namespace distillery::views {

RunLogModel::RunLogModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(events_.size());
}

int RunLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunLogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const store::EventRow& e = events_.at(size_t(index.row()));
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(e.time * 1000.0));
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case TimeColumn: return time.toString(QStringLiteral("HH:mm:ss"));
        case LevelColumn: return QString::fromStdString(e.level);
        case MessageColumn: return QString::fromStdString(e.message);
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == TimeColumn) return time.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
        // A message may quote a path or a run name: shown as written, never as markup.
        if (index.column() == MessageColumn) return plainToolTip(QString::fromStdString(e.message));
    }
    if (role == Qt::ForegroundRole && index.column() == LevelColumn) {
        // Okabe–Ito vermillion and orange: distinct for colour-blind readers, on light and dark bases.
        if (e.level == "error") return OkabeItoPalette::color(3);
        if (e.level == "warn") return OkabeItoPalette::color(1);
    }
    return {};
}

QVariant RunLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case TimeColumn: return tr("Time");
    case LevelColumn: return tr("Level");
    case MessageColumn: return tr("Message");
    default: return {};
    }
}

void RunLogModel::clear() {
    beginResetModel();
    events_.clear();
    endResetModel();
}

void RunLogModel::appendEvents(const EventRows& rows) {
    const int64_t lastId = events_.empty() ? 0 : events_.back().id;
    EventRows fresh;
    for (const store::EventRow& row : rows)
        if (row.id > lastId) fresh.push_back(row);
    if (fresh.empty()) return;
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(fresh.size()) - 1);
    events_.insert(events_.end(), fresh.begin(), fresh.end());
    endInsertRows();
}

}  // namespace distillery::views
