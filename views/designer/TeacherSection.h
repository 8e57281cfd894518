#pragma once
// The designer's teacher: where its weights come from (none, a zoo model and a checkpoint file, a
// finished run of the open store, a TorchScript file, a zoo model and a PyTorch state dict) and that
// source's fields, one page each.
// Built by hand: its editors pick among sources, runs and files rather than values of the table.
#include <nlohmann/json.hpp>

#include <QList>
#include <QObject>

#include "RunListEntry.h"

class QComboBox;
class QFormLayout;
class QLineEdit;
class QStackedWidget;

namespace distillery::views {

class FormFields;

class TeacherSection : public QObject {
    Q_OBJECT
public:
    // The source combo's items, in this order.
    enum class Source { None, ZooCheckpoint, StoreRun, TorchScript, StateDict };

    TeacherSection(FormFields& fields, QObject* parent = nullptr);

    // Adds the source row and the pages of the sources' fields, registered with the form's fields.
    void build(QFormLayout* form);
    // "teacher" as the chosen source's fields make it; nothing for no teacher.
    void write(nlohmann::json& spec) const;
    // The source the spec's teacher fields imply, and those fields; the other sources' fields keep
    // what they held.
    void fill(const nlohmann::json& spec);
    // Shows the chosen source's page alone.
    void updateVisibility();

    // The finished runs among these become the choices of a "finished run" teacher; false when they
    // are the ones already listed.
    bool setStoreRuns(const QList<RunListEntry>& runs);

private:
    void fillRuns();
    void selectRun(qint64 id, const QString& name);

    FormFields& fields_;
    QComboBox* source_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    QComboBox* model_ = nullptr;
    QLineEdit* checkpoint_ = nullptr;
    QComboBox* run_ = nullptr;
    QComboBox* runReference_ = nullptr;
    QLineEdit* script_ = nullptr;
    QLineEdit* stem_ = nullptr;
    QLineEdit* stages_ = nullptr;
    QLineEdit* classifier_ = nullptr;
    QComboBox* stateDictModel_ = nullptr;
    QLineEdit* stateDict_ = nullptr;
    QList<RunListEntry> finishedRuns_;
};

}  // namespace distillery::views
