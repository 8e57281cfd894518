#include "StudyDesign.h"

#include <algorithm>
#include <set>

#include <QRegularExpression>

#include "FormValues.h"
#include "SweepDomain.h"
#include "spec/Catalog.h"

namespace distillery::views {

using nlohmann::json;

namespace {

const char* kMethodSweep = "method.name";

bool isMethodParameterPath(const std::string& path) { return path.rfind("method.", 0) == 0 && path != kMethodSweep; }

// Removes a dotted path from a spec, and the objects it leaves empty.
void erasePath(json& spec, const std::string& path) {
    const size_t dot = path.find('.');
    if (!spec.is_object() || !spec.contains(path.substr(0, dot))) return;
    if (dot == std::string::npos) {
        spec.erase(path);
        return;
    }
    json& child = spec[path.substr(0, dot)];
    erasePath(child, path.substr(dot + 1));
    if (child.is_object() && child.empty()) spec.erase(path.substr(0, dot));
}

// A method block's parameter the form can show: a value its single editor holds, or a sub-grid its
// sweep editor holds.
bool showable(const spec::ParamDecl& p, const json& v) {
    if (const std::optional<SweepDomain> domain = SweepDomain::ofParam(p); domain && (v.is_array() || v.is_object()))
        return domain->accepts(v);
    switch (p.kind) {
    case spec::ParamKind::Number: return v.is_number() && v.get<double>() >= p.min && v.get<double>() <= p.max;
    case spec::ParamKind::Choice:
        return v.is_string() && std::find(p.choices.begin(), p.choices.end(), v.get<std::string>()) != p.choices.end();
    case spec::ParamKind::Names:
    case spec::ParamKind::Numbers:
        return v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string() || x.is_number(); });
    }
    return false;
}

// grid.method as the form shows it: distinct known methods without labels, parameters in one block
// at most (that block's method becomes the form's). False when the form cannot.
bool readMethodBlocks(const json& blocks, StudyDesign& design) {
    if (!blocks.is_array() || blocks.empty()) return false;
    json names = json::array();
    std::set<std::string> seen;
    const json* withParameters = nullptr;
    for (const json& block : blocks) {
        if (!block.is_object() || !block.contains("name") || !block["name"].is_string() || block.contains("label"))
            return false;
        const std::string name = block["name"].get<std::string>();
        const spec::MethodDecl* method = spec::findMethod(name);
        if (!method || !seen.insert(name).second) return false;
        names.push_back(name);
        if (block.size() == 1) continue;
        if (withParameters) return false;
        withParameters = &block;
        for (auto it = block.begin(); it != block.end(); ++it) {
            if (it.key() == "name") continue;
            const spec::ParamDecl* p = method->param(it.key());
            if (!p || !showable(*p, it.value())) return false;
        }
    }
    const json& own = withParameters ? *withParameters : blocks.front();
    json method = {{"name", own["name"]}};
    for (auto it = own.begin(); it != own.end(); ++it) {
        if (it.key() == "name") continue;
        const spec::ParamDecl* p = spec::findMethod(own["name"].get<std::string>())->param(it.key());
        const bool subGrid = SweepDomain::ofParam(*p) && (it.value().is_array() || it.value().is_object());
        if (subGrid) design.sweeps["method." + it.key()] = it.value();
        else method[it.key()] = it.value();
    }
    design.base["method"] = method;
    design.sweeps[kMethodSweep] = names;
    return true;
}

QString describeKept(const std::string& key, const json& value) {
    if (value.is_array()) return QStringLiteral("%1 (%2 entries)").arg(QString::fromStdString(key)).arg(value.size());
    if (value.is_object() && !value.empty()) {
        QStringList keys;
        for (auto it = value.begin(); it != value.end(); ++it) keys << QString::fromStdString(it.key());
        return QStringLiteral("%1 (%2)").arg(QString::fromStdString(key), keys.join(QStringLiteral(", ")));
    }
    return QString::fromStdString(key);
}

}  // namespace

json StudyDesign::toJson() const {
    json study = kept;
    study.erase("grid");
    study.erase("early_stopping");
    study["study"] = name.toStdString();

    json spec = base;
    spec.erase("seed");
    spec.erase("name");
    json grid = kept.contains("grid") && kept["grid"].is_object() ? kept["grid"] : json::object();
    const bool methodSweep = sweeps.contains(kMethodSweep);
    for (auto it = sweeps.begin(); it != sweeps.end(); ++it)
        if (it.key() != kMethodSweep && !(methodSweep && isMethodParameterPath(it.key()))) grid[it.key()] = it.value();
    if (methodSweep) {
        const json& formMethod = member(spec, "method");
        json blocks = json::array();
        for (const json& name : sweeps[kMethodSweep]) {
            json block = {{"name", name}};
            if (formMethod.contains("name") && formMethod["name"] == name) {
                for (auto it = formMethod.begin(); it != formMethod.end(); ++it) block[it.key()] = it.value();
                for (auto it = sweeps.begin(); it != sweeps.end(); ++it)
                    if (isMethodParameterPath(it.key())) block[it.key().substr(7)] = it.value();
            }
            blocks.push_back(block);
        }
        grid["method"] = blocks;
    }
    // The grid sets what it varies: the base keeps the fixed values alone. (method.name stays: the
    // base's other method parameters need their method.)
    for (auto it = grid.begin(); it != grid.end(); ++it)
        if (it.key() != kMethodSweep) erasePath(spec, it.key());
    if (!grid.empty()) study["grid"] = grid;
    study["base"] = spec;
    study["seeds"] = seeds;
    const json keptStopping = kept.contains("early_stopping") ? kept["early_stopping"] : json();
    if (stopBelowMedian) {
        json rule = keptStopping.is_object() ? keptStopping : json::object();
        rule["rule"] = "median";
        rule["grace_epochs"] = graceEpochs;
        study["early_stopping"] = rule;
    } else if (!keptStopping.is_null()) {
        study["early_stopping"] = keptStopping;
    }
    return study;
}

std::string StudyDesign::text(const json& study) {
    if (!study.is_object()) return study.dump(2);
    static const char* const kOrder[] = {"study", "description", "grid",     "random",
                                         "seeds", "early_stopping", "base", "teachers"};
    nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
    for (const char* key : kOrder)
        if (study.contains(key)) ordered[key] = study[key];
    for (auto it = study.begin(); it != study.end(); ++it)
        if (!ordered.contains(it.key())) ordered[it.key()] = it.value();
    return ordered.dump(2);
}

StudyDesign StudyDesign::fromJson(const json& study, QStringList* keptNotes) {
    StudyDesign design;
    QStringList notes;
    for (auto it = study.begin(); it != study.end(); ++it) {
        const std::string& key = it.key();
        const json& value = it.value();
        if (key == "study") {
            design.name = itemText(value);
        } else if (key == "base" && value.is_object()) {
            design.base = value;
            // The study's name names the runs here; the base's name only labels a study that varies nothing.
            if (design.base.contains("name")) {
                notes << QStringLiteral("base.name (%1): the designer names the runs after the study; it was left out")
                             .arg(QString::fromStdString(design.base["name"].dump()));
                design.base.erase("name");
            }
        } else if (key == "seeds") {
            design.seeds = value;
        } else if (key == "early_stopping" && value.is_object() && value.contains("rule") &&
                   (value["rule"] == "median" || value["rule"] == "none") &&
                   (!value.contains("grace_epochs") || value["grace_epochs"].is_number_integer())) {
            design.stopBelowMedian = value["rule"] == "median";
            design.graceEpochs = value.contains("grace_epochs") ? value["grace_epochs"].get<int64_t>()
                                                                : spec::EarlyStopping{}.graceEpochs;
            json rest = value;
            rest.erase("rule");
            rest.erase("grace_epochs");
            if (!rest.empty()) {
                design.kept["early_stopping"] = rest;
                notes << describeKept("early_stopping", rest);
            }
        } else if (key != "grid" || !value.is_object()) {
            design.kept[key] = value;
            notes << describeKept(key, value);
        }
    }
    // The method first: the form's method decides which "method.X" keys it can show.
    if (study.contains("grid") && study["grid"].is_object()) {
        const json& grid = study["grid"];
        json keptGrid = json::object();
        if (grid.contains("method") && !readMethodBlocks(grid["method"], design)) keptGrid["method"] = grid["method"];
        const QString formMethod = stringAt(member(design.base, "method"), "name", spec::MethodSpec{}.name);
        for (auto it = grid.begin(); it != grid.end(); ++it) {
            if (it.key() == "method") continue;
            const std::optional<SweepDomain> domain = SweepDomain::ofPath(QString::fromStdString(it.key()), formMethod);
            const bool inMethodBlocks = isMethodParameterPath(it.key()) && design.sweeps.contains(kMethodSweep);
            if (domain && domain->accepts(it.value()) && !inMethodBlocks && !design.sweeps.contains(it.key()))
                design.sweeps[it.key()] = it.value();
            else
                keptGrid[it.key()] = it.value();
        }
        if (!keptGrid.empty()) design.kept["grid"] = keptGrid;
        for (auto it = keptGrid.begin(); it != keptGrid.end(); ++it) notes << describeKept("grid." + it.key(), it.value());
    }
    if (keptNotes) *keptNotes = notes;
    return design;
}

FieldError StudyDesign::formError(const spec::SpecError& error, const json& study, const QString& formMethod) {
    static const QRegularExpression runError(QStringLiteral(R"(^runs of configuration "[^"]*" \(seed \d+\)\.(.+)$)"));
    static const QRegularExpression blockError(QStringLiteral(R"(^grid\.method\[(\d+)\](.*)$)"));
    QString path = QString::fromStdString(error.path);
    QString message = QString::fromStdString(error.message);
    if (const QRegularExpressionMatch m = runError.match(path); m.hasMatch()) return {m.captured(1), message};
    if (path.startsWith(QLatin1String("base."))) return {path.mid(5), message};
    if (path == QLatin1String("study")) return {QStringLiteral("name"), message};
    if (path == QLatin1String("seeds") || path.startsWith(QLatin1String("seeds["))) return {QStringLiteral("seed"), message};
    if (path == QLatin1String("grid.method")) return {QString::fromLatin1(kMethodSweep), message};
    if (const QRegularExpressionMatch m = blockError.match(path); m.hasMatch()) {
        const size_t index = m.captured(1).toULongLong();
        const json& blocks = member(member(study, "grid"), "method");
        const json block = blocks.is_array() && index < blocks.size() ? blocks[index] : json();
        const QString name = stringAt(block, "name", "");
        const QString rest = m.captured(2);   // ".T", ".T.linspace", ".name", ""
        const QString parameter = rest.mid(1).section(QLatin1Char('.'), 0, 0);
        if (!name.isEmpty() && name == formMethod && !parameter.isEmpty() && parameter != QLatin1String("name") &&
            parameter != QLatin1String("label"))
            return {QStringLiteral("method") + rest, message};
        const QString blockName = name.isEmpty() ? QStringLiteral("method[%1]").arg(index) : name;
        return {QString::fromLatin1(kMethodSweep), blockName + rest + QStringLiteral(": ") + message};
    }
    if (path.startsWith(QLatin1String("grid."))) return {path.mid(5), message};
    return {path, message};
}

}  // namespace distillery::views
