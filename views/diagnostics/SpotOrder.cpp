#include "SpotOrder.h"

#include <algorithm>
#include <tuple>

#include <QRegularExpression>

namespace distillery::views {

namespace {
// (rank, stage number, name): rank 0 for numbered spots, 1 for other names, 2 for logits.
std::tuple<int, qlonglong, QString> sortKey(const QString& spot) {
    if (spot.contains(QLatin1String("logits"))) return {2, 0, spot};
    static const QRegularExpression number(QStringLiteral("(\\d+)"));
    const QRegularExpressionMatch match = number.match(spot);
    if (match.hasMatch()) return {0, match.captured(1).toLongLong(), spot};
    return {1, 0, spot};
}
}  // namespace

bool SpotOrder::lessThan(const QString& a, const QString& b) { return sortKey(a) < sortKey(b); }

QStringList SpotOrder::sorted(QStringList spots) {
    std::stable_sort(spots.begin(), spots.end(), &SpotOrder::lessThan);
    return spots;
}

}  // namespace distillery::views
