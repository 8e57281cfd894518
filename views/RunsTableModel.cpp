#include "RunsTableModel.h"

#include <QSet>

#include "HeadlineResult.h"
#include "PlainText.h"
#include "StatusIcons.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

QString percentText(const std::optional<double>& value) {
    return value ? QString::number(*value, 'f', 2) : QString();
}

QString firstLine(const QString& text) {
    for (int i = 0; i < text.size(); ++i)
        if (text.at(i) == QLatin1Char('\n') || text.at(i) == QLatin1Char('\r')) return text.left(i);
    return text;
}

QString tagsText(const store::RunRow& run) {
    QStringList tags;
    for (const std::string& tag : run.tags) tags.append(fromStd(tag));
    return tags.join(QStringLiteral(", "));
}

// "sweep-lr · student · lr=0.05": the study, the run's role in it and its configuration's label.
QString studyText(const store::RunRow& run) {
    QStringList parts{fromStd(run.study)};
    if (!run.studyRole.empty()) parts.append(fromStd(run.studyRole));
    if (!run.configuration.empty()) parts.append(fromStd(run.configuration));
    return parts.join(QStringLiteral(" · "));
}

QString pairText(const store::RunRow& run) {
    // A run without a teacher (plain cross-entropy) shows only its student.
    if (run.teacher.empty()) return fromStd(run.student);
    return fromStd(run.teacher) + QStringLiteral(" → ") + fromStd(run.student);
}

}  // namespace

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

double RunsTableModel::displayedProgress(const RunListEntry& entry) const {
    auto live = liveProgress_.constFind(entry.run.id);
    return live != liveProgress_.constEnd() ? live->fraction : entry.run.progress;
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= runs_.size()) return {};
    const RunListEntry& entry = runs_.at(index.row());
    const store::RunRow& run = entry.run;
    const bool running = run.status == store::RunStatus::Running;

    if (role == RunIdRole) return QVariant::fromValue<qint64>(run.id);
    if (role == ProgressRole) return running ? QVariant(displayedProgress(entry)) : QVariant();

    if (role == Qt::DisplayRole || role == SortRole) {
        switch (index.column()) {
            case NameColumn: return fromStd(run.name);
            case StatusColumn: return StatusIcons::statusName(run.status);
            case MethodColumn: return fromStd(run.method);
            case PairColumn: return pairText(run);
            case DatasetColumn: return fromStd(run.dataset);
            case TestAtBestValColumn:
                if (role == SortRole) return entry.selection.testAtBestVal ? *entry.selection.testAtBestVal : -1.0;
                return percentText(entry.selection.testAtBestVal);
            case BestValAccColumn:
                if (role == SortRole) return entry.selection.bestVal ? *entry.selection.bestVal : -1.0;
                return percentText(entry.selection.bestVal);
            case StudyColumn: return fromStd(run.study);
            case TagsColumn: return tagsText(run);
            case NoteColumn: return firstLine(fromStd(run.note));
            case ProgressColumn:
                if (role == SortRole) return running ? displayedProgress(entry) : -1.0;
                return running ? QStringLiteral("%1%").arg(qRound(displayedProgress(entry) * 100))
                               : QString();
        }
        return {};
    }
    if (role == Qt::DecorationRole && index.column() == StatusColumn) return StatusIcons::forStatus(run.status);
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
            case TestAtBestValColumn:
            case BestValAccColumn:
            case ProgressColumn: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        }
        return {};
    }
    if (role == Qt::ToolTipRole) {
        // Tool tips render markup: the error, the note and the study name are the user's text.
        if (index.column() == NoteColumn && !run.note.empty()) return plainToolTip(fromStd(run.note));
        // Why a failed run failed, or by which rule a pruned one was stopped.
        if (!run.error.empty()) return plainToolTip(fromStd(run.error));
        if (index.column() == TestAtBestValColumn) {
            const QString missing = HeadlineResult::missingReason(entry.selection);
            if (!missing.isEmpty()) return missing;
            return tr("At step %1, the step of the best val/acc1 (%2 %)")
                .arg(QString::number(*entry.selection.bestValStep), percentText(entry.selection.bestVal));
        }
        if (index.column() == StudyColumn && run.studyId) return plainToolTip(studyText(run));
        if (index.column() == PairColumn && run.teacher.empty()) return tr("No teacher: trained on labels only");
        if (index.column() == NameColumn)
            return plainToolTip(tr("Run %1 · seed %2%3")
                                    .arg(QString::number(run.id), QString::number(run.seed),
                                         run.device.empty() ? QString() : QStringLiteral(" · ") + fromStd(run.device)));
    }
    return {};
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
            case NameColumn: return tr("Name");
            case StatusColumn: return tr("Status");
            case MethodColumn: return tr("Method");
            case PairColumn: return tr("Teacher → student");
            case DatasetColumn: return tr("Data set");
            case TestAtBestValColumn: return HeadlineResult::title();
            case BestValAccColumn: return tr("Best val %");
            case ProgressColumn: return tr("Progress");
            case StudyColumn: return tr("Study");
            case TagsColumn: return tr("Tags");
            case NoteColumn: return tr("Note");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
            case TestAtBestValColumn: return HeadlineResult::explanation();
            case BestValAccColumn:
                return tr("Best top-1 accuracy on the validation set (val/acc1), in %: the model selection behind "
                          "the test accuracy beside it");
            case ProgressColumn: return tr("Share of the training steps done, while the run trains");
            case StudyColumn: return tr("The study the run belongs to, if it was queued by one");
            case TagsColumn: return tr("The run's tags (Tags and note… in the run's context menu; filter with tag:name)");
            case NoteColumn: return tr("The first line of the run's note; the whole note in the cell's tool tip");
        }
    }
    return {};
}

void RunsTableModel::setRuns(const RunList& runs) {
    QSet<qint64> newIds;
    for (const RunListEntry& entry : runs) newIds.insert(entry.run.id);

    // Remove vanished runs, bottom up so that row numbers stay valid.
    for (int row = static_cast<int>(runs_.size()) - 1; row >= 0; --row) {
        if (!newIds.contains(runs_.at(row).run.id)) {
            beginRemoveRows({}, row, row);
            liveProgress_.remove(runs_.at(row).run.id);
            runs_.removeAt(row);
            endRemoveRows();
        }
    }

    QSet<qint64> oldIds;
    for (const RunListEntry& entry : runs_) oldIds.insert(entry.run.id);

    // What is left is a subsequence of the new list as long as the order is the store's (newest
    // first). Walk both: same id -> update in place; unknown id -> insert. Anything else means the
    // order changed, and only a reset is correct.
    for (int row = 0; row < runs.size(); ++row) {
        const RunListEntry& fresh = runs.at(row);
        if (row < runs_.size() && runs_.at(row).run.id == fresh.run.id) {
            if (!runs_.at(row).sameDisplayAs(fresh)) {
                runs_[row] = fresh;
                if (fresh.run.status != store::RunStatus::Running) liveProgress_.remove(fresh.run.id);
                emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
            }
        } else if (!oldIds.contains(fresh.run.id)) {
            beginInsertRows({}, row, row);
            runs_.insert(row, fresh);
            endInsertRows();
        } else {
            resetTo(runs);
            return;
        }
    }
}

void RunsTableModel::resetTo(const RunList& runs) {
    beginResetModel();
    runs_ = runs;
    endResetModel();
}

void RunsTableModel::setLiveProgress(const RunProgress& progress) {
    liveProgress_.insert(progress.runId, progress);
    const int row = rowOfRun(progress.runId);
    if (row >= 0) emit dataChanged(index(row, ProgressColumn), index(row, ProgressColumn));
}

void RunsTableModel::clear() {
    beginResetModel();
    runs_.clear();
    liveProgress_.clear();
    endResetModel();
}

int RunsTableModel::rowOfRun(qint64 runId) const {
    for (int row = 0; row < runs_.size(); ++row)
        if (runs_.at(row).run.id == runId) return row;
    return -1;
}

const RunListEntry* RunsTableModel::entryOfRun(qint64 runId) const {
    const int row = rowOfRun(runId);
    return row >= 0 ? &runs_.at(row) : nullptr;
}

const RunListEntry* RunsTableModel::entryAt(int row) const {
    return row >= 0 && row < runs_.size() ? &runs_.at(row) : nullptr;
}

std::optional<RunProgress> RunsTableModel::liveProgress(qint64 runId) const {
    auto it = liveProgress_.constFind(runId);
    if (it == liveProgress_.constEnd()) return std::nullopt;
    return *it;
}

QStringList RunsTableModel::allTags() const {
    QSet<QString> tags;
    for (const RunListEntry& entry : runs_)
        for (const std::string& tag : entry.run.tags) tags.insert(fromStd(tag));
    QStringList sorted(tags.begin(), tags.end());
    sorted.sort(Qt::CaseInsensitive);
    return sorted;
}

int RunsTableModel::countWithStatus(store::RunStatus status) const {
    int count = 0;
    for (const RunListEntry& entry : runs_)
        if (entry.run.status == status) ++count;
    return count;
}

}  // namespace distillery::views
