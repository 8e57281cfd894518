#pragma once
// The runs list's filter: words separated by spaces, all of which must match a run. A word
// `key:value` matches one field (name, status, method, teacher, student, dataset, host, device: the
// value is a case-insensitive substring; seed and id: equal); any other word is free text, matched
// against the name, method, teacher, student and data set. "method:sakd seed:1 r8x4".
#include <QSortFilterProxyModel>
#include <QStringList>

namespace distillery::views {

struct RunListEntry;

class RunsFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit RunsFilterProxy(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    QString filterText() const { return text_; }
    // The keys `key:value` understands, for the filter box's tooltip.
    static QStringList filterKeys();
    static bool matches(const RunListEntry& entry, const QString& filterText);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString text_;
};

}  // namespace distillery::views
