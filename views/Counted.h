#pragma once
// "1 run", "6 runs". tr()'s %n needs a loaded translation to drop its "(s)"; the app ships none.
#include <QString>

namespace distillery::views {

inline QString counted(qint64 n, const QString& singular, const QString& plural) {
    return QString::number(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

}  // namespace distillery::views
