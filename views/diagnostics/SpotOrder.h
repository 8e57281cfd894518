#pragma once
// The order in which spots are shown: the network's order, not the alphabet's. Spots that name a
// stage ("stage 1", "stage2", "at@stage3") come first by stage number, spots without a number next
// by name, and logits last: "stage 1" < "stage 2" < "stage 10" < "logits".
#include <QStringList>

namespace distillery::views {

class SpotOrder {
public:
    static bool lessThan(const QString& a, const QString& b);
    static QStringList sorted(QStringList spots);
};

}  // namespace distillery::views
