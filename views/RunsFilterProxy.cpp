#include "RunsFilterProxy.h"

#include "RunsTableModel.h"

namespace distillery::views {

namespace {

QString field(const RunListEntry& entry, const QString& key) {
    const store::RunRow& run = entry.run;
    if (key == QLatin1String("name")) return QString::fromStdString(run.name);
    if (key == QLatin1String("status")) return QString::fromStdString(store::statusName(run.status));
    if (key == QLatin1String("method")) return QString::fromStdString(run.method);
    if (key == QLatin1String("teacher")) return QString::fromStdString(run.teacher);
    if (key == QLatin1String("student")) return QString::fromStdString(run.student);
    if (key == QLatin1String("dataset")) return QString::fromStdString(run.dataset);
    if (key == QLatin1String("host")) return QString::fromStdString(run.host);
    if (key == QLatin1String("device")) return QString::fromStdString(run.device);
    if (key == QLatin1String("seed")) return QString::number(run.seed);
    if (key == QLatin1String("id")) return QString::number(run.id);
    return {};
}

bool isExactKey(const QString& key) { return key == QLatin1String("seed") || key == QLatin1String("id"); }

bool matchesWord(const RunListEntry& entry, const QString& word) {
    const int colon = word.indexOf(QLatin1Char(':'));
    if (colon > 0) {
        const QString key = word.left(colon).toLower();
        if (RunsFilterProxy::filterKeys().contains(key)) {
            const QString value = word.mid(colon + 1);
            const QString actual = field(entry, key);
            return isExactKey(key) ? actual == value : actual.contains(value, Qt::CaseInsensitive);
        }
    }
    for (const char* key : {"name", "method", "teacher", "student", "dataset"})
        if (field(entry, QLatin1String(key)).contains(word, Qt::CaseInsensitive)) return true;
    return false;
}

}  // namespace

RunsFilterProxy::RunsFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {}

QStringList RunsFilterProxy::filterKeys() {
    return {QStringLiteral("name"),    QStringLiteral("status"),  QStringLiteral("method"),
            QStringLiteral("teacher"), QStringLiteral("student"), QStringLiteral("dataset"),
            QStringLiteral("seed"),    QStringLiteral("id"),      QStringLiteral("host"),
            QStringLiteral("device")};
}

bool RunsFilterProxy::matches(const RunListEntry& entry, const QString& filterText) {
    const QStringList words = filterText.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString& word : words)
        if (!matchesWord(entry, word)) return false;
    return true;
}

void RunsFilterProxy::setFilterText(const QString& text) {
    if (text == text_) return;
    text_ = text;
    invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (text_.trimmed().isEmpty()) return true;
    const auto* runs = qobject_cast<const RunsTableModel*>(sourceModel());
    if (!runs) return true;
    const qint64 runId = runs->index(sourceRow, 0, sourceParent).data(RunsTableModel::RunIdRole).toLongLong();
    const RunListEntry* entry = runs->entryOfRun(runId);
    return !entry || matches(*entry, text_);
}

}  // namespace distillery::views
