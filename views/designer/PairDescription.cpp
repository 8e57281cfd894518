#include "PairDescription.h"

#include <QObject>

namespace distillery::views {

QString StageShape::label() const {
    return QStringLiteral("%1×%2×%3").arg(channels).arg(height).arg(width);
}

QString NetDescription::paramsText() const {
    if (params >= 1000000) return QObject::tr("%1M params").arg(double(params) / 1e6, 0, 'f', 2);
    if (params >= 1000) return QObject::tr("%1k params").arg(double(params) / 1e3, 0, 'f', 0);
    return QObject::tr("%1 params").arg(params);
}

namespace {

std::optional<NetDescription> netFromSpec(const std::optional<spec::NetDescription>& net) {
    if (!net) return std::nullopt;
    NetDescription converted{QString::fromStdString(net->model), net->params, {}};
    for (const spec::StageShape& s : net->stages)
        converted.stages.append({int(s.channels), int(s.height), int(s.width)});
    return converted;
}

}  // namespace

PairDescription PairDescription::fromSpec(const spec::PairDescription& description) {
    PairDescription converted;
    converted.teacher = netFromSpec(description.teacher);
    converted.student = netFromSpec(description.student);
    for (const spec::SpotDescription& spot : description.spots)
        converted.spots.append({QString::fromStdString(spot.name), int(spot.teacherStage), int(spot.studentStage),
                                QString::fromStdString(spot.connector)});
    for (const spec::SpecError& e : description.errors)
        converted.errors.append({QString::fromStdString(e.path), QString::fromStdString(e.message)});
    return converted;
}

std::optional<PairDescription> PairDescription::fromJson(const QByteArray& json, QString* error) {
    std::string why;
    const auto description = spec::pairDescriptionFromText(json.toStdString(), &why);
    if (!description) {
        if (error)
            *error = QObject::tr("The engine's description is not the expected JSON object (%1): \"%2\"")
                         .arg(QString::fromStdString(why), QString::fromUtf8(json.left(200)).trimmed());
        return std::nullopt;
    }
    return fromSpec(*description);
}

}  // namespace distillery::views
