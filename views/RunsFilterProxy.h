#pragma once
// The runs list's filter: words separated by spaces, all of which must match a run.
//  - `key:value` matches one field of the run: name, status, method, teacher, student, dataset, host,
//    device, study, note (a case-insensitive substring); seed and id (equal); tag (one of the run's
//    tags, case-insensitive, whole).
//  - A spec field by its dotted JSON path (RunSpec's toJson, flattened as Compare shows it) with an
//    operator: `method.T:4`, `optim.lr<0.05`, `data.name:cifar100`, `epochs>=10`, `method.name!=kd`.
//    `:` is equal (numbers numerically, text case-insensitively; `key:` alone: the spec has the field),
//    `!=` not equal, `<` `<=` `>` `>=` compare numbers only. A run whose spec lacks the field does not
//    match, whatever the operator. A path without a dot counts as a spec field for a run whose spec
//    has it; for other runs it is free text, as before spec fields were understood.
//  - Any other word is free text, matched against the name, method, teacher, student, data set, tags
//    and study.
// "method:sakd seed:1 r8x4", "tag:ablation optim.lr<0.05".
#include <vector>

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
    // The filter box's tool tip: the syntax, with examples.
    static QString syntaxHelp();
    static bool matches(const RunListEntry& entry, const QString& filterText);

    // One word of the filter text, parsed once per text rather than once per run.
    struct Term {
        enum class Kind { RunField, SpecField, FreeText };
        enum class Op { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual };
        Kind kind = Kind::FreeText;
        QString word;    // as typed: free text, and what an undotted key falls back to
        QString key;     // lower case for a run field, as typed for a spec path
        Op op = Op::Equal;
        QString value;
    };

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString text_;
    std::vector<Term> terms_;
};

}  // namespace distillery::views
