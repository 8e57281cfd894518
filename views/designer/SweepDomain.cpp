#include "SweepDomain.h"

#include <algorithm>
#include <set>

#include "FormValues.h"
#include "spec/Catalog.h"
#include "spec/SpecFields.h"

namespace distillery::views {

using nlohmann::json;

std::optional<SweepDomain> SweepDomain::ofSpecField(const spec::SpecField& field) {
    switch (field.kind) {
    case spec::FieldKind::Int: return SweepDomain{Kind::Integer, {}};
    case spec::FieldKind::Double: return SweepDomain{Kind::Number, {}};
    case spec::FieldKind::Choice: return SweepDomain{Kind::Choice, toQStringList(field.choices)};
    case spec::FieldKind::Bool: return SweepDomain{Kind::Bool, {}};
    case spec::FieldKind::String:
    case spec::FieldKind::Folder:
    case spec::FieldKind::IntList: return std::nullopt;
    }
    return std::nullopt;
}

std::optional<SweepDomain> SweepDomain::ofParam(const spec::ParamDecl& param) {
    if (param.kind == spec::ParamKind::Number) return SweepDomain{Kind::Number, {}};
    if (param.kind == spec::ParamKind::Choice) return SweepDomain{Kind::Choice, toQStringList(param.choices)};
    return std::nullopt;
}

std::optional<SweepDomain> SweepDomain::ofPath(const QString& path, const QString& methodName) {
    if (path == QLatin1String("student.model")) return SweepDomain{Kind::Choice, toQStringList(spec::modelNames())};
    if (path == QLatin1String("method.name")) {
        QStringList methods;
        for (const auto& m : spec::methodCatalog()) methods << QString::fromStdString(m.name);
        return SweepDomain{Kind::Choice, methods};
    }
    if (path.startsWith(QLatin1String("method."))) {
        const spec::MethodDecl* method = spec::findMethod(methodName.toStdString());
        const spec::ParamDecl* param = method ? method->param(path.mid(7).toStdString()) : nullptr;
        return param ? ofParam(*param) : std::nullopt;
    }
    // The seeds are a list of their own ("seeds"), not a grid key.
    if (path == QLatin1String("seed") || !spec::isSpecField(path.toStdString())) return std::nullopt;
    return ofSpecField(spec::specField(path.toStdString()));
}

bool SweepDomain::accepts(const json& v) const {
    const auto isWhole = [](const json& x) { return x.is_number_integer(); };
    if (v.is_object()) {
        if (v.size() != 1) return false;
        const std::string kind = v.begin().key();
        const json& a = v.begin().value();
        if (!a.is_array() || a.size() != 3) return false;
        if (this->kind == Kind::Number)
            return (kind == "linspace" || kind == "logspace") && a[0].is_number() && a[1].is_number() && isWhole(a[2]);
        if (this->kind == Kind::Integer) return kind == "range" && std::all_of(a.begin(), a.end(), isWhole);
        return false;
    }
    if (!v.is_array() || v.empty()) return false;
    switch (kind) {
    case Kind::Number: return std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_number(); });
    case Kind::Integer: return std::all_of(v.begin(), v.end(), isWhole);
    case Kind::Choice: {
        std::set<std::string> seen;
        return std::all_of(v.begin(), v.end(), [&](const json& x) {
            return x.is_string() && choices.contains(QString::fromStdString(x.get<std::string>())) &&
                   seen.insert(x.get<std::string>()).second;
        });
    }
    case Kind::Bool: {
        std::set<bool> seen;
        return std::all_of(v.begin(), v.end(),
                           [&](const json& x) { return x.is_boolean() && seen.insert(x.get<bool>()).second; });
    }
    }
    return false;
}

}  // namespace distillery::views
