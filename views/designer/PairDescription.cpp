#include "PairDescription.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

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

std::optional<NetDescription> netFromJson(const QJsonValue& value) {
    if (!value.isObject()) return std::nullopt;
    const QJsonObject object = value.toObject();
    NetDescription net;
    net.model = object.value(QStringLiteral("model")).toString();
    net.params = object.value(QStringLiteral("params")).toInteger();
    for (const QJsonValue& stage : object.value(QStringLiteral("stages")).toArray()) {
        const QJsonObject s = stage.toObject();
        net.stages.append({s.value(QStringLiteral("channels")).toInt(), s.value(QStringLiteral("height")).toInt(),
                           s.value(QStringLiteral("width")).toInt()});
    }
    return net;
}

}  // namespace

std::optional<PairDescription> PairDescription::fromJson(const QByteArray& json, QString* error) {
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    const QJsonObject root = document.object();
    if (parseError.error != QJsonParseError::NoError || !document.isObject() ||
        !root.contains(QStringLiteral("spots")) || !root.contains(QStringLiteral("errors"))) {
        if (error)
            *error = QObject::tr("The engine's description is not the expected JSON object (%1): \"%2\"")
                         .arg(parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                           : QObject::tr("no spots or errors"),
                              QString::fromUtf8(json.left(200)).trimmed());
        return std::nullopt;
    }
    PairDescription description;
    description.teacher = netFromJson(root.value(QStringLiteral("teacher")));
    description.student = netFromJson(root.value(QStringLiteral("student")));
    for (const QJsonValue& value : root.value(QStringLiteral("spots")).toArray()) {
        const QJsonObject spot = value.toObject();
        description.spots.append({spot.value(QStringLiteral("name")).toString(),
                                  spot.value(QStringLiteral("teacher_stage")).toInt(SpotDescription::kLogits),
                                  spot.value(QStringLiteral("student_stage")).toInt(SpotDescription::kLogits),
                                  spot.value(QStringLiteral("connector")).toString()});
    }
    for (const QJsonValue& value : root.value(QStringLiteral("errors")).toArray()) {
        const QJsonObject e = value.toObject();
        description.errors.append({e.value(QStringLiteral("path")).toString(), e.value(QStringLiteral("message")).toString()});
    }
    return description;
}

}  // namespace distillery::views
