#include "RunsFilterProxy.h"

#include "RunComparison.h"
#include "RunsTableModel.h"

namespace distillery::views {

namespace {

using Term = RunsFilterProxy::Term;

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

QString field(const RunListEntry& entry, const QString& key) {
    const store::RunRow& run = entry.run;
    if (key == QLatin1String("name")) return fromStd(run.name);
    if (key == QLatin1String("status")) return fromStd(store::statusName(run.status));
    if (key == QLatin1String("method")) return fromStd(run.method);
    if (key == QLatin1String("teacher")) return fromStd(run.teacher);
    if (key == QLatin1String("student")) return fromStd(run.student);
    if (key == QLatin1String("dataset")) return fromStd(run.dataset);
    if (key == QLatin1String("host")) return fromStd(run.host);
    if (key == QLatin1String("device")) return fromStd(run.device);
    if (key == QLatin1String("study")) return fromStd(run.study);
    if (key == QLatin1String("note")) return fromStd(run.note);
    if (key == QLatin1String("seed")) return QString::number(run.seed);
    if (key == QLatin1String("id")) return QString::number(run.id);
    return {};
}

bool isExactKey(const QString& key) { return key == QLatin1String("seed") || key == QLatin1String("id"); }

bool hasTag(const store::RunRow& run, const QString& wanted) {
    for (const std::string& tag : run.tags)
        if (fromStd(tag).compare(wanted, Qt::CaseInsensitive) == 0) return true;
    return false;
}

bool matchesFreeText(const RunListEntry& entry, const QString& word) {
    for (const char* key : {"name", "method", "teacher", "student", "dataset", "study"})
        if (field(entry, QLatin1String(key)).contains(word, Qt::CaseInsensitive)) return true;
    for (const std::string& tag : entry.run.tags)
        if (fromStd(tag).contains(word, Qt::CaseInsensitive)) return true;
    return false;
}

// The operator at the first of ':', '<', '>' or "!=" in word, and its length; none: length 0.
int findOperator(const QString& word, Term::Op* op) {
    for (int i = 0; i < word.size(); ++i) {
        const QChar c = word.at(i);
        const bool equalsFollows = i + 1 < word.size() && word.at(i + 1) == QLatin1Char('=');
        if (c == QLatin1Char(':')) *op = Term::Op::Equal;
        else if (c == QLatin1Char('<')) *op = equalsFollows ? Term::Op::LessEqual : Term::Op::Less;
        else if (c == QLatin1Char('>')) *op = equalsFollows ? Term::Op::GreaterEqual : Term::Op::Greater;
        else if (c == QLatin1Char('!') && equalsFollows) *op = Term::Op::NotEqual;
        else continue;
        return i;
    }
    return -1;
}

int operatorLength(Term::Op op) {
    switch (op) {
        case Term::Op::Equal:
        case Term::Op::Less:
        case Term::Op::Greater: return 1;
        default: return 2;
    }
}

Term parseWord(const QString& word) {
    Term term;
    term.word = word;
    Term::Op op = Term::Op::Equal;
    const int at = findOperator(word, &op);
    if (at <= 0) return term;   // no operator, or no key before it ("<b>"): free text
    const QString key = word.left(at);
    term.op = op;
    term.value = word.mid(at + operatorLength(op));
    if (op == Term::Op::Equal && RunsFilterProxy::filterKeys().contains(key.toLower())) {
        term.kind = Term::Kind::RunField;
        term.key = key.toLower();
    } else {
        term.kind = Term::Kind::SpecField;
        term.key = key;
    }
    return term;
}

std::vector<Term> parseText(const QString& text) {
    std::vector<Term> terms;
    for (const QString& word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) terms.push_back(parseWord(word));
    return terms;
}

// The spec field at a dotted path: as typed, else ignoring case ("method.t" finds "method.T").
const QVariant* specField(const QVariantMap& fields, const QString& path) {
    auto exact = fields.constFind(path);
    if (exact != fields.constEnd()) return &*exact;
    for (auto it = fields.constBegin(); it != fields.constEnd(); ++it)
        if (it.key().compare(path, Qt::CaseInsensitive) == 0) return &*it;
    return nullptr;
}

bool specFieldMatches(const QVariant& actual, Term::Op op, const QString& wanted) {
    bool wantedIsNumber = false;
    const double wantedNumber = wanted.toDouble(&wantedIsNumber);
    const bool numeric = isNumericValue(actual) && wantedIsNumber;
    const double number = actual.toDouble();
    switch (op) {
        case Term::Op::Equal:
            if (wanted.isEmpty()) return true;   // "method.T:" while typing: the runs that have it
            return numeric ? number == wantedNumber
                           : configValueText(actual).compare(wanted, Qt::CaseInsensitive) == 0;
        case Term::Op::NotEqual:
            return numeric ? number != wantedNumber
                           : configValueText(actual).compare(wanted, Qt::CaseInsensitive) != 0;
        // Order is for numbers only: "optim.lr<abc" or "data.name<c" matches nothing.
        case Term::Op::Less: return numeric && number < wantedNumber;
        case Term::Op::LessEqual: return numeric && number <= wantedNumber;
        case Term::Op::Greater: return numeric && number > wantedNumber;
        case Term::Op::GreaterEqual: return numeric && number >= wantedNumber;
    }
    return false;
}

bool matchesTerm(const RunListEntry& entry, const Term& term) {
    switch (term.kind) {
        case Term::Kind::FreeText: return matchesFreeText(entry, term.word);
        case Term::Kind::RunField: {
            if (term.key == QLatin1String("tag")) return hasTag(entry.run, term.value);
            const QString actual = field(entry, term.key);
            return isExactKey(term.key) ? actual == term.value : actual.contains(term.value, Qt::CaseInsensitive);
        }
        case Term::Kind::SpecField: {
            if (const QVariant* actual = specField(entry.specFields, term.key))
                return specFieldMatches(*actual, term.op, term.value);
            // A dotted path names a spec field: a run without it does not match. A word like
            // "colour:red" that no spec has stays free text, as it always was.
            if (term.key.contains(QLatin1Char('.'))) return false;
            return matchesFreeText(entry, term.word);
        }
    }
    return false;
}

bool matchesAll(const RunListEntry& entry, const std::vector<Term>& terms) {
    for (const Term& term : terms)
        if (!matchesTerm(entry, term)) return false;
    return true;
}

}  // namespace

RunsFilterProxy::RunsFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {}

QStringList RunsFilterProxy::filterKeys() {
    return {QStringLiteral("name"),    QStringLiteral("status"),  QStringLiteral("method"),
            QStringLiteral("teacher"), QStringLiteral("student"), QStringLiteral("dataset"),
            QStringLiteral("seed"),    QStringLiteral("id"),      QStringLiteral("host"),
            QStringLiteral("device"),  QStringLiteral("tag"),     QStringLiteral("study"),
            QStringLiteral("note")};
}

QString RunsFilterProxy::syntaxHelp() {
    return tr("Every word must match.\n"
              "key:value matches a field of the run: %1.\n"
              "  Part of the text matches (any case); seed and id are equal; tag is one whole tag.\n"
              "  status:pruned   tag:ablation   study:sweep   note:baseline\n"
              "A spec field by its dotted path, with : (equal), !=, <, <=, >, >=:\n"
              "  method.name:kd   method.T:4   optim.lr<0.05   data.name:cifar100   epochs>=10\n"
              "  Numbers compare as numbers, text in any case; a run whose spec lacks the field does not match.\n"
              "Other words match the name, method, teacher, student, data set, tags or study.")
        .arg(filterKeys().join(QStringLiteral(", ")));
}

bool RunsFilterProxy::matches(const RunListEntry& entry, const QString& filterText) {
    return matchesAll(entry, parseText(filterText));
}

void RunsFilterProxy::setFilterText(const QString& text) {
    if (text == text_) return;
    text_ = text;
    terms_ = parseText(text);
    invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (terms_.empty()) return true;
    const auto* runs = qobject_cast<const RunsTableModel*>(sourceModel());
    if (!runs) return true;
    if (sourceParent.isValid()) return true;
    const RunListEntry* entry = runs->entryAt(sourceRow);   // by row: a look-up by id would scan the list per row
    return !entry || matchesAll(*entry, terms_);
}

}  // namespace distillery::views
