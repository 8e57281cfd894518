#include "RunClassNames.h"

#include <algorithm>

#include "spec/Catalog.h"
#include "spec/RunSpec.h"

namespace distillery::views {

QStringList runClassNames(const store::RunRow& run) {
    spec::DataSpec data;
    if (const spec::ParseResult parsed = spec::parseRunSpec(run.specJson); parsed.spec) {
        data = parsed.spec->data;
    } else {
        const auto& known = spec::datasetNames();
        if (run.dataset == "synthetic" || std::find(known.begin(), known.end(), run.dataset) == known.end()) return {};
        data.name = run.dataset;
    }
    QStringList names;
    for (const std::string& name : spec::classNames(data)) names.append(QString::fromStdString(name));
    return names;
}

QString className(const QStringList& names, qint64 index) {
    return index >= 0 && index < names.size() ? names.at(index) : QStringLiteral("class %1").arg(index);
}

}  // namespace distillery::views
