#include "store/Store.h"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "store/Statement.h"

// Studies, tags and notes; the per-class results of evaluations; the early-stopping rule's query.
// Files older than schema 6 (opened read-only, not migrated) have none of these tables: their
// queries answer empty.

namespace distillery::store {

namespace {

StudyRow readStudy(const Statement& s) {
    StudyRow r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.specJson = s.text(2);
    r.description = s.text(3);
    r.createdAt = s.real(4);
    r.note = s.text(5);
    return r;
}

const char* kStudyColumns = "id, name, spec, description, created_at, note";

// Trimmed, checked tags: a tag is one visible word or phrase, never empty, never a control character
// (the store joins a run's tags with one, and a filter box could not type it).
std::vector<std::string> cleanTags(const std::vector<std::string>& tags) {
    std::vector<std::string> clean;
    for (const auto& raw : tags) {
        const auto first = raw.find_first_not_of(" \t");
        const auto last = raw.find_last_not_of(" \t");
        const std::string tag = first == std::string::npos ? std::string() : raw.substr(first, last - first + 1);
        if (tag.empty()) throw std::invalid_argument("a tag cannot be empty");
        for (unsigned char c : tag)
            if (c < 0x20 || c == 0x7f)
                throw std::invalid_argument("the tag \"" + tag + "\" holds a control character; use letters, digits, "
                                            "spaces or punctuation");
        clean.push_back(tag);
    }
    return clean;
}

ConfusionCell readCell(const Statement& s, int64_t runId, const std::string& split, const std::string& model) {
    ConfusionCell c;
    c.runId = runId;
    c.split = split;
    c.model = model;
    c.step = s.int64(0);
    c.actual = s.int64(1);
    c.predicted = s.int64(2);
    c.count = s.int64(3);
    return c;
}

}  // namespace

// ---- studies ---------------------------------------------------------------------------------

int64_t Store::insertStudy(const std::string& name, const std::string& specJson, const std::string& description) {
    if (studyNamed(name))
        throw StoreError("results store '" + path_ + "' already has a study named \"" + name +
                         "\"; give the study another name, or delete the old one first");
    Statement s(db_, "INSERT INTO studies (name, spec, description, created_at) VALUES (?, ?, ?, ?)");
    s.bind(1, name).bind(2, specJson).bind(3, description).bind(4, nowSeconds());
    s.run();
    return sqlite3_last_insert_rowid(db_);
}

std::optional<StudyRow> Store::study(int64_t studyId) const {
    if (openedVersion_ < 6) return std::nullopt;
    Statement s(db_, (std::string("SELECT ") + kStudyColumns + " FROM studies WHERE id = ?").c_str());
    s.bind(1, studyId);
    if (!s.step()) return std::nullopt;
    StudyRow row = readStudy(s);
    Statement tags(db_, "SELECT tag FROM study_tags WHERE study_id = ? ORDER BY tag");
    tags.bind(1, studyId);
    while (tags.step()) row.tags.push_back(tags.text(0));
    return row;
}

std::optional<StudyRow> Store::studyNamed(const std::string& name) const {
    if (openedVersion_ < 6) return std::nullopt;
    Statement s(db_, "SELECT id FROM studies WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return study(s.int64(0));
}

std::vector<StudyRow> Store::studies() const {
    std::vector<StudyRow> rows;
    if (openedVersion_ < 6) return rows;
    std::vector<int64_t> ids;
    {
        Statement s(db_, "SELECT id FROM studies ORDER BY name");
        while (s.step()) ids.push_back(s.int64(0));
    }
    for (int64_t id : ids)
        if (auto row = study(id)) rows.push_back(std::move(*row));
    return rows;
}

void Store::deleteStudy(int64_t studyId) {
    Transaction transaction(db_);
    for (const char* sql : {"DELETE FROM runs WHERE study_id = ?", "DELETE FROM studies WHERE id = ?"}) {
        Statement s(db_, sql);
        s.bind(1, studyId);
        s.run();
    }
    transaction.commit();
}

void Store::setRunNote(int64_t runId, const std::string& note) {
    Statement s(db_, "UPDATE runs SET note = ? WHERE id = ?");
    s.bind(1, note).bind(2, runId);
    s.run();
}

void Store::setStudyNote(int64_t studyId, const std::string& note) {
    Statement s(db_, "UPDATE studies SET note = ? WHERE id = ?");
    s.bind(1, note).bind(2, studyId);
    s.run();
}

namespace {
void changeTags(sqlite3* db, const char* sql, int64_t owner, const std::vector<std::string>& tags) {
    const auto clean = cleanTags(tags);
    Transaction transaction(db);
    Statement s(db, sql);
    for (const auto& tag : clean) {
        s.bind(1, owner).bind(2, tag);
        s.run();
    }
    transaction.commit();
}
}  // namespace

void Store::addRunTags(int64_t runId, const std::vector<std::string>& tags) {
    changeTags(db_, "INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)", runId, tags);
}
void Store::removeRunTags(int64_t runId, const std::vector<std::string>& tags) {
    changeTags(db_, "DELETE FROM run_tags WHERE run_id = ? AND tag = ?", runId, tags);
}
void Store::addStudyTags(int64_t studyId, const std::vector<std::string>& tags) {
    changeTags(db_, "INSERT OR IGNORE INTO study_tags (study_id, tag) VALUES (?, ?)", studyId, tags);
}
void Store::removeStudyTags(int64_t studyId, const std::vector<std::string>& tags) {
    changeTags(db_, "DELETE FROM study_tags WHERE study_id = ? AND tag = ?", studyId, tags);
}

std::vector<double> Store::studyValuesAtEpoch(int64_t studyId, const std::string& key, int64_t epoch,
                                              int64_t excludeRunId) const {
    std::vector<double> values;
    if (openedVersion_ < 6) return values;
    Statement s(db_, "SELECT (SELECT value FROM metrics m WHERE m.run_id = runs.id AND m.key = ?1 AND m.epoch = ?2 "
                     "ORDER BY m.step LIMIT 1) AS v FROM runs WHERE study_id = ?3 AND study_role = 'student' "
                     "AND status = 'finished' AND id != ?4 AND v IS NOT NULL");
    s.bind(1, key).bind(2, double(epoch)).bind(3, studyId).bind(4, excludeRunId);
    while (s.step()) values.push_back(s.real(0));
    return values;
}

// ---- per-class results -----------------------------------------------------------------------

std::vector<ConfusionCell> Store::confusion(int64_t runId, const std::string& split, const std::string& model,
                                            int64_t step) const {
    std::vector<ConfusionCell> cells;
    if (openedVersion_ < 6) return cells;
    Statement s(db_, "SELECT step, actual, predicted, count FROM confusion WHERE run_id = ?1 AND split = ?2 "
                     "AND model = ?3 AND step = CASE WHEN ?4 >= 0 THEN ?4 ELSE (SELECT max(step) FROM confusion "
                     "WHERE run_id = ?1 AND split = ?2 AND model = ?3) END ORDER BY actual, predicted");
    s.bind(1, runId).bind(2, split).bind(3, model).bind(4, step);
    while (s.step()) cells.push_back(readCell(s, runId, split, model));
    return cells;
}

std::vector<int64_t> Store::confusionSteps(int64_t runId, const std::string& split) const {
    std::vector<int64_t> steps;
    if (openedVersion_ < 6) return steps;
    Statement s(db_, "SELECT DISTINCT step FROM confusion WHERE run_id = ? AND split = ? AND model = 'student' "
                     "ORDER BY step");
    s.bind(1, runId).bind(2, split);
    while (s.step()) steps.push_back(s.int64(0));
    return steps;
}

std::vector<ClassAgreementRow> Store::classAgreement(int64_t runId, const std::string& split, int64_t step) const {
    std::vector<ClassAgreementRow> rows;
    if (openedVersion_ < 6) return rows;
    Statement s(db_, "SELECT step, class_index, agree, total FROM class_agreement WHERE run_id = ?1 AND split = ?2 "
                     "AND step = CASE WHEN ?3 >= 0 THEN ?3 ELSE (SELECT max(step) FROM class_agreement "
                     "WHERE run_id = ?1 AND split = ?2) END ORDER BY class_index");
    s.bind(1, runId).bind(2, split).bind(3, step);
    while (s.step()) rows.push_back({runId, s.int64(0), split, s.int64(1), s.int64(2), s.int64(3)});
    return rows;
}

}  // namespace distillery::store
