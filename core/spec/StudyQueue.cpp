#include "spec/StudyQueue.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "spec/FieldError.h"
#include "spec/RunQueue.h"

namespace distillery::spec {

namespace {
StudyMembership membership(int64_t studyId, const StudyRun& run) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [path, value] : run.varied) fields[path] = value;
    return {studyId, run.teacher ? "teacher" : "student", run.configuration, fields.dump()};
}
}  // namespace

QueuedStudy queueStudy(store::Store& store, const StudyPlan& plan) {
    QueuedStudy queued;
    const std::string source = plan.source.dump(2);
    if (const auto existing = store.studyNamed(plan.name)) {
        nlohmann::json stored;
        try {
            stored = nlohmann::json::parse(existing->specJson);
        } catch (const nlohmann::json::exception&) {
        }
        if (stored != plan.source)
            throw FieldError::prefixed("study", "\"" + plan.name + "\" is already a study in " + store.path() +
                                                    ", queued from a different study file; rename this study, or "
                                                    "delete the old one in the app first");
        queued.studyId = existing->id;
        std::map<std::string, int64_t> byName;
        for (const auto& run : store.studyRuns(existing->id, /*withSpec=*/false)) byName.emplace(run.name, run.id);
        for (const auto& run : plan.runs) {
            const auto found = byName.find(run.spec.name);
            if (found != byName.end()) {
                queued.runIds.push_back(found->second);
                ++queued.reused;
            } else {   // deleted since: queue it again
                queued.runIds.push_back(queueRun(store, run.spec, membership(existing->id, run)));
            }
        }
        return queued;
    }
    queued.studyId = store.insertStudy(plan.name, source, plan.description);
    for (const auto& run : plan.runs)
        queued.runIds.push_back(queueRun(store, run.spec, membership(queued.studyId, run)));
    return queued;
}

std::optional<StudyStopping> studyStopping(const store::Store& store, int64_t runId) {
    const auto run = store.run(runId);
    if (!run || !run->studyId || run->studyRole != "student") return std::nullopt;
    const auto study = store.study(*run->studyId);
    if (!study) return std::nullopt;
    nlohmann::json source;
    try {
        source = nlohmann::json::parse(study->specJson);
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
    const StudyParse parsed = parseStudy(source);
    if (!parsed.plan || !parsed.plan->earlyStopping.enabled()) return std::nullopt;
    return StudyStopping{parsed.plan->earlyStopping, study->id, study->name};
}

std::optional<std::string> medianStopReason(const StudyStopping& stopping, int64_t epoch, double valAcc,
                                            std::vector<double> finishedAtEpoch) {
    const EarlyStopping& rule = stopping.rule;
    if (rule.rule != "median" || epoch <= rule.graceEpochs) return std::nullopt;
    if (static_cast<int64_t>(finishedAtEpoch.size()) < rule.minRuns) return std::nullopt;
    std::sort(finishedAtEpoch.begin(), finishedAtEpoch.end());
    const size_t n = finishedAtEpoch.size();
    const double median = n % 2 ? finishedAtEpoch[n / 2] : (finishedAtEpoch[n / 2 - 1] + finishedAtEpoch[n / 2]) / 2;
    if (!(valAcc < median)) return std::nullopt;
    char text[320];
    std::snprintf(text, sizeof text,
                  "pruned at epoch %lld: val acc %.2f%% is below the median %.2f%% of the %zu finished runs of study "
                  "\"%s\" at that epoch (median stopping rule, after %lld grace epoch%s)",
                  static_cast<long long>(epoch), valAcc, median, n, stopping.studyName.c_str(),
                  static_cast<long long>(rule.graceEpochs), rule.graceEpochs == 1 ? "" : "s");
    return std::string(text);
}

}  // namespace distillery::spec
