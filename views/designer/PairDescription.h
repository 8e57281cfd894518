#pragma once
// What `distillery-engine describe` says about a spec: the teacher's and the student's stages, the
// spots the method distils with the connector it inserts at each, and the spec's errors by field
// path. The protocol's values (spec/DescribeProtocol.h) in the Qt types the widgets show.
#include <optional>

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

#include "spec/DescribeProtocol.h"

namespace distillery::views {

struct StageShape {
    int channels = 0;
    int height = 0;
    int width = 0;
    QString label() const;   // "16×28×28"
    bool operator==(const StageShape& other) const {
        return channels == other.channels && height == other.height && width == other.width;
    }
};

struct NetDescription {
    QString model;            // "resnet20", "torchscript teacher.pt"
    qint64 params = 0;
    QList<StageShape> stages;
    QString paramsText() const;   // "272k params", "7.4M params"
};

struct SpotDescription {
    // Stage indices as the engine's Spot: 0-based stages, or the pooled features / the logits.
    static constexpr int kPooled = int(spec::SpotDescription::kPooled);
    static constexpr int kLogits = int(spec::SpotDescription::kLogits);
    QString name;             // "stage 2", "pooled", "logits", "nst@stage3"
    int teacherStage = kLogits;
    int studentStage = kLogits;
    QString connector;        // what the method inserts there; "none" when the two are compared directly
    bool atHead() const { return studentStage < 0 || teacherStage < 0; }
};

struct FieldError {
    QString path;             // "optim.lr", "method.stage", "teacher.run_id"
    QString message;
    bool operator==(const FieldError& other) const { return path == other.path && message == other.message; }
};

struct PairDescription {
    std::optional<NetDescription> teacher;   // none: the method has no teacher, or it could not be built
    std::optional<NetDescription> student;
    QList<SpotDescription> spots;
    QList<FieldError> errors;

    static PairDescription fromSpec(const spec::PairDescription& description);
    // Parses the engine's JSON; nothing, with *error set, when it is not that object.
    static std::optional<PairDescription> fromJson(const QByteArray& json, QString* error = nullptr);
};

}  // namespace distillery::views

Q_DECLARE_METATYPE(distillery::views::PairDescription)
