#pragma once
// The Design tab: the form on the left (name, teacher, student, data, method, optimisation, training,
// seeds, diagnostics, device), the pair view and the spec as JSON on the right, "Queue N runs" at the
// bottom. Every edit rebuilds the spec, validates it with spec::parseRunSpec and shows each error
// under the field its path names; the pair is described by the engine (PairDescriber) once the
// typing pauses. Edits are undoable (undoStack()); specs save to and load from JSON files.
#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QStringList>
#include <QWidget>

#include "DesignState.h"
#include "PairDescription.h"
#include "RunListEntry.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QUndoStack;

namespace distillery::views {

class ErrorLabel;
class MethodForm;
class PairDescriber;
class PairView;

class DesignerPage : public QWidget {
    Q_OBJECT
public:
    // Which networks the teacher is: the teacherSource() combo's items, in this order.
    enum class TeacherSource { None, ZooCheckpoint, StoreRun, TorchScript };

    // enginePath: the distillery-engine that describes the pair (RunScheduler::defaultEnginePath()).
    explicit DesignerPage(const QString& enginePath, QWidget* parent = nullptr);
    ~DesignerPage() override;

    // The finished runs among these are the choices of a "finished run" teacher.
    void setStoreRuns(const QList<RunListEntry>& runs);
    // The store those runs are in: the engine looks a teacher run up there.
    void setStorePath(const QString& storePath);

    // The spec as the form builds it, for its first seed (indented JSON).
    QByteArray specJson() const;
    // One spec per seed, each with its seed set and the name kept: what "Queue N runs" emits.
    QList<QByteArray> runSpecs() const;
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
    PairDescriber* describer() const { return describer_; }
    MethodForm* methodForm() const { return methodForm_; }
    QPushButton* queueButton() const { return queueButton_; }

    // The editor a spec path is shown at ("optim.lr", "student.model", "method.beta", "seed"), or
    // nullptr; and the error shown under it.
    QWidget* fieldWidget(const QString& path) const;
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
    void queueRequested(const QList<QByteArray>& specJsons);

private:
    struct Field {
        QWidget* editor = nullptr;
        ErrorLabel* error = nullptr;
        QWidget* row = nullptr;   // what is hidden when the field does not apply
        int id = 0;               // the undo merge id
    };

    QWidget* buildForm();
    // Registers editor as the field of a spec path, with an error line under it; display (a row of
    // editor and its browse button) is what the form shows, when given.
    QWidget* addField(QFormLayout* form, const QString& label, const QString& path, QWidget* editor,
                      const QString& help, QWidget* display = nullptr);
    void alias(const QString& path, const QString& registeredPath);
    void watch(QWidget* editor, const QString& path);
    QWidget* withBrowseButton(QLineEdit* line, const QString& title, const QString& filter);

    nlohmann::json formJson() const;
    DesignState formState() const;
    void fillForm(const nlohmann::json& spec, const QString& seeds);
    void applyState(const DesignState& state);
    void commit(const QString& text, int fieldId);
    void onEdited(const QString& path);
    void refresh();
    void showErrors();
    void updateVisibility();
    void fillTeacherRuns();
    void selectTeacherRun(qint64 id, const QString& name);
    QList<FieldError> seedErrors() const;
    QString fieldKeyFor(const QString& path) const;
    bool loadDocument(const QByteArray& bytes, const QString& source);

    void onDescribed(const PairDescription& description);
    void onDescribeFailed(const QString& message);

    // Form widgets.
    QLineEdit* name_;
    QComboBox* teacherSource_;
    QStackedWidget* teacherPages_;
    QComboBox* teacherModel_;
    QLineEdit* teacherCheckpoint_;
    QComboBox* teacherRun_;
    QComboBox* teacherRunReference_;
    QLineEdit* teacherScript_;
    QLineEdit* teacherStem_;
    QLineEdit* teacherStages_;
    QLineEdit* teacherClassifier_;
    QComboBox* studentModel_;
    QComboBox* dataName_;
    QLineEdit* dataRoot_;
    QSpinBox* trainSubset_;
    QSpinBox* valSize_;
    QCheckBox* augment_;
    QSpinBox* pad_;
    QSpinBox* syntheticChannels_;
    QSpinBox* syntheticHeight_;
    QSpinBox* syntheticWidth_;
    QSpinBox* syntheticClasses_;
    QSpinBox* syntheticTrainSize_;
    QSpinBox* syntheticTestSize_;
    QComboBox* methodName_;
    MethodForm* methodForm_;
    QComboBox* optimName_;
    QLineEdit* lr_;
    QLineEdit* momentum_;
    QCheckBox* nesterov_;
    QLineEdit* weightDecay_;
    QLineEdit* beta1_;
    QLineEdit* beta2_;
    QLineEdit* eps_;
    QLineEdit* gradClip_;
    QLineEdit* labelSmoothing_;
    QComboBox* scheduleName_;
    QLineEdit* milestones_;
    QLineEdit* gamma_;
    QLineEdit* minLr_;
    QLineEdit* warmup_;
    QSpinBox* epochs_;
    QSpinBox* batchSize_;
    QSpinBox* evalBatchSize_;
    QSpinBox* maxSteps_;
    QSpinBox* checkpointEvery_;
    QLineEdit* seeds_;
    QSpinBox* logEvery_;
    QSpinBox* diagnosticsEvery_;
    QComboBox* device_;
    QComboBox* precision_;
    QSpinBox* threads_;

    ErrorLabel* generalError_;
    QLabel* notice_;
    QPushButton* queueButton_;
    PairView* pairView_;
    QPlainTextEdit* specView_;
    QUndoStack* undoStack_;
    PairDescriber* describer_;

    QHash<QString, Field> fields_;
    QList<RunListEntry> finishedRuns_;
    DesignState state_;                     // what the form showed after the last commit or apply
    QList<FieldError> errors_;              // the parser's and the seeds', for state_
    QList<FieldError> describeErrors_;      // the engine's beyond the parser's, for describedKey_
    QByteArray describedKey_;               // the pair part (data, teacher, student, method) last sent
    QByteArray describedSpec_;
    bool applying_ = false;                 // the form is being filled: its signals are not edits
};

}  // namespace distillery::views
