#include "RunClassNames.h"

#include <algorithm>

#include "spec/Catalog.h"
#include "spec/RunSpec.h"

namespace distillery::views {

QStringList runClassNames(const store::RunRow& run) {
    QStringList names;
    if (!run.classNames.empty()) {   // stored by the engine: an image folder's, as it trained
        for (const std::string& name : run.classNames) names.append(QString::fromStdString(name));
        return names;
    }
    spec::DataSpec data;
    if (const spec::ParseResult parsed = spec::parseRunSpec(run.specJson); parsed.spec) {
        data = parsed.spec->data;
    } else {
        const auto& known = spec::datasetNames();
        if (run.dataset == "synthetic" || run.dataset == "folder" || std::find(known.begin(), known.end(), run.dataset) == known.end()) return {};
        data.name = run.dataset;
    }
    for (const std::string& name : spec::classNames(data)) names.append(QString::fromStdString(name));
    return names;
}

QString className(const QStringList& names, qint64 index) {
    return index >= 0 && index < names.size() ? names.at(index) : QStringLiteral("class %1").arg(index);
}

}  // namespace distillery::views
