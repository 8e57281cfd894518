#pragma once
// The Design tab: the form on the left (name, teacher, student, data, method, optimisation, training,
// seeds, diagnostics, device), the pair view and the spec as JSON on the right, "Queue N runs" at the
// bottom. The plain fields' rows come from the spec-field table (SpecFieldEditors), the method's from
// its declaration (MethodForm); the teacher (TeacherSection), the student, the method's name and the
// seeds are built by hand. Every edit rebuilds the spec's JSON as typed, validates it with
// spec::parseRunSpec and shows each error under the field its path names (FormFields); the pair is
// described by the engine (PairDescriber) once the typing pauses. What is queued are the RunSpecs the
// parser read. Edits are undoable (undoStack()); specs save to and load from JSON files.
//
// Sweeps: a number or choice field (the table's, the student, the method, the method's parameters)
// can become a list or a range of values (SweepableField). While any field is swept or there is more
// than one seed, the page builds a study file instead of a run spec (StudyDesign): the JSON pane shows
// it, Save writes it, "Queue 18 runs (6 configurations × 3 seeds)" counts its runs as
// spec::parseExperiment expands it on every edit, and its errors go under the fields their paths
// name. A loaded study fills the form; what the form cannot show (teachers, a random part, method
// blocks it cannot hold) is kept as written and listed in the notice, and the JSON pane shows the
// file as loaded until the form is edited.
#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <optional>

#include "ClusterSubmission.h"
#include "DesignState.h"
#include "PairDescription.h"
#include "RunListEntry.h"
#include "TeacherSection.h"
#include "spec/RunSpec.h"

class QCheckBox;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QUndoStack;

namespace distillery::views {

class ClusterTarget;

class ErrorLabel;
class FolderPreview;
class FormFields;
class MethodForm;
class PairDescriber;
class PairView;
class SpecFieldEditors;
class SweepEditor;
class SweepableField;
struct StudyDesign;

class DesignerPage : public QWidget {
    Q_OBJECT
public:
    // Which networks the teacher is: the teacherSource() combo's items, in this order.
    using TeacherSource = TeacherSection::Source;

    // enginePath: the distillery-engine that describes the pair (RunScheduler::defaultEnginePath()).
    explicit DesignerPage(const QString& enginePath, QWidget* parent = nullptr);
    ~DesignerPage() override;

    // The finished runs among these are the choices of a "finished run" teacher.
    void setStoreRuns(const QList<RunListEntry>& runs);
    // The store those runs are in: the engine looks a teacher run up there.
    void setStorePath(const QString& storePath);

    // The spec as the form builds it, for its first seed (indented JSON): what is typed, errors
    // included, as the JSON pane shows it and a save writes it.
    QByteArray specJson() const;
    // One RunSpec per seed, as the parser reads the form, each with its seed set: what "Queue N runs"
    // queues (as spec::toJson text); for a study, its runs' specs. Empty while there are errors.
    QList<spec::RunSpec> runSpecs() const;
    // Whether the form is a study: a field is swept, there is more than one seed, or a loaded study
    // keeps parts the form cannot show.
    bool isStudy() const;
    // The study file as the JSON pane shows it and Save writes it (indented JSON); empty when the
    // form is no study.
    QByteArray studyJson() const;
    QList<qint64> seeds() const;
    // No error from the spec parser, the seeds list or the engine's description.
    bool isValid() const;

    // Fills the form from one run spec, or from an experiment file's {"runs": [...]} (its first run;
    // all of them when they differ only in their seeds). Errors are shown, never thrown; what the
    // form cannot show is listed in the notice. One undo step. Returns false when json is no spec at all.
    bool loadSpecJson(const QByteArray& json);
    bool loadSpecFile(const QString& path);
    // One seed: the spec; several: an experiment file with one run per seed (names suffixed -s<seed>,
    // as an experiment's names must be unique). Returns false with *error set when it cannot write.
    bool saveSpecFile(const QString& path, QString* error = nullptr) const;

    QUndoStack* undoStack() const { return undoStack_; }
    PairView* pairView() const { return pairView_; }
    // Under the data root while the data set is an image folder: its class count and a few images.
    FolderPreview* folderPreview() const { return folderPreview_; }
    // Where the runs train: this machine, or a Slurm cluster with its sbatch options.
    ClusterTarget* clusterTarget() const { return clusterTarget_; }
    PairDescriber* describer() const { return describer_; }
    MethodForm* methodForm() const { return methodForm_; }
    QPushButton* queueButton() const { return queueButton_; }

    // The editor a spec path is shown at ("optim.lr", "student.model", "method.beta", "seed"), or
    // nullptr; and the error shown under it.
    QWidget* fieldWidget(const QString& path) const;
    // The sweep toggle and editor of a field ("optim.lr", "student.model", "method.name", "method.T"),
    // or nullptr for a field that cannot be swept.
    SweepableField* sweepField(const QString& path) const;
    // The "stop runs below the median" check box of a study, and its grace epochs.
    QCheckBox* stopBelowMedianBox() const { return stopBelowMedian_; }
    QSpinBox* graceEpochsBox() const { return graceEpochs_; }
    QString fieldError(const QString& path) const;
    QString generalErrorText() const;
    QString noticeText() const;
    QString specText() const;   // what the JSON pane shows

public slots:
    // A new design from the defaults (one undo step).
    void newExperiment();
    // File dialogs around saveSpecFile / loadSpecFile.
    void saveSpec();
    void loadSpec();
    void queueRuns();

signals:
    // spec::toJson of each of runSpecs().
    void queueRequested(const QList<QByteArray>& specJsons);
    // A study instead: studyJson(), for spec::queueStudy.
    void studyQueueRequested(const QByteArray& studyJson);
    // "Run on: Slurm cluster": the study, or the runs as an experiment, with the sbatch options.
    void clusterSubmitRequested(const distillery::views::ClusterSubmission& submission);

private:
    QWidget* buildForm();
    // The spec the form's fields make; swept: the paths of the swept fields (SpecFieldEditors::write).
    nlohmann::json formJson(const QStringList& swept = {}) const;
    DesignState formState() const;
    // The sweeps that apply under the form's choices, by path; the study parts of a DesignState.
    nlohmann::json activeSweeps() const;
    nlohmann::json studyParts() const;
    StudyDesign currentDesign() const;
    std::string studyText() const;
    void fillForm(const nlohmann::json& spec, const QString& seeds, const nlohmann::json& studyParts = nlohmann::json::object());
    void applyStudyParts(const nlohmann::json& parts);
    void applyState(const DesignState& state);
    void commit(const QString& text, int fieldId);
    void onEdited(const QString& path);
    void onSweepToggled(const QString& path);
    void followMethodSweep();
    void refresh();
    QList<FieldError> studyErrors(const std::string& text, std::optional<spec::StudyPlan>* plan) const;
    void updateQueueButton(bool study);
    void setQueueButtonText(const QString& queueText);
    void updateSweepPreviews();
    void showErrors();
    void updateVisibility();
    QList<FieldError> seedErrors() const;
    bool loadDocument(const QByteArray& bytes, const QString& source);
    bool loadStudy(const nlohmann::json& study, const QString& what);

    void onDescribed(const PairDescription& description);
    void onDescribeFailed(const QString& message);

    // The form: its fields by path, the table's rows, the hand-built parts.
    FormFields* fields_;
    std::unique_ptr<SpecFieldEditors> tableFields_;
    TeacherSection* teacher_;
    QComboBox* studentModel_;
    QLineEdit* studentInit_;
    QComboBox* methodName_;
    MethodForm* methodForm_;
    QLabel* methodSweepNote_;
    QLineEdit* seeds_;
    QCheckBox* stopBelowMedian_;
    QSpinBox* graceEpochs_;
    QWidget* earlyStopping_;
    FolderPreview* folderPreview_;

    ErrorLabel* generalError_;
    QLabel* notice_;
    QPushButton* queueButton_;
    ClusterTarget* clusterTarget_;
    PairView* pairView_;
    QGroupBox* specBox_;
    QPlainTextEdit* specView_;
    QUndoStack* undoStack_;
    PairDescriber* describer_;

    DesignState state_;                     // what the form showed after the last commit or apply
    nlohmann::json kept_ = nlohmann::json::object();   // a loaded study's parts the form cannot show
    QByteArray asLoaded_;                   // a loaded study file, shown until the form is edited
    std::optional<spec::StudyPlan> plan_;   // the study as parsed at the last refresh, when it parsed
    QList<FieldError> errors_;              // the parser's and the seeds', for state_
    QList<FieldError> describeErrors_;      // the engine's beyond the parser's, for describedKey_
    QByteArray describedKey_;               // the pair part (data, teacher, student, method) last sent
    QByteArray describedSpec_;
    bool applying_ = false;                 // the form is being filled: its signals are not edits
};

}  // namespace distillery::views
