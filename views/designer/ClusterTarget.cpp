#include "ClusterTarget.h"

#include <stdexcept>

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include "FormFields.h"

namespace distillery::views {

namespace {
constexpr char kSettingsGroup[] = "cluster";
}

ClusterTarget::ClusterTarget(QWidget* parent) : QWidget(parent) {
    runOn_ = new QComboBox;
    runOn_->setObjectName(QStringLiteral("runOn"));
    runOn_->addItem(tr("this machine"));
    runOn_->addItem(tr("Slurm cluster"));
    runOn_->setToolTip(tr("This machine: the Queue trains the runs here. Slurm cluster: the runs are submitted with "
                          "sbatch as job arrays; the Queue follows them and merges their results into this store."));

    slurm_ = new QGroupBox(tr("Slurm"));
    auto* form = new QFormLayout(slurm_);
    sharedRoot_ = new QLineEdit;
    sharedRoot_->setPlaceholderText(tr("<store>.cluster beside the store"));
    form->addRow(tr("Shared folder"), FormFields::withBrowseButton(sharedRoot_, tr("Shared folder"), QString()));
    sharedRoot_->setToolTip(tr("A folder every compute node sees at the same path (NFS, Lustre, …): each run's shard "
                               "store, checkpoints and log go there"));
    partition_ = new QLineEdit;
    partition_->setPlaceholderText(tr("the cluster's default"));
    form->addRow(tr("Partition"), partition_);
    gres_ = new QLineEdit;
    gres_->setPlaceholderText(tr("none; e.g. gpu:1"));
    gres_->setToolTip(tr("sbatch --gres per run: gpu:1 gives each run one GPU, which the engine uses"));
    form->addRow(tr("GPUs (gres)"), gres_);
    cpus_ = new QSpinBox;
    cpus_->setRange(0, 1024);
    cpus_->setSpecialValueText(tr("Slurm's default"));
    cpus_->setToolTip(tr("sbatch --cpus-per-task; the engine trains with that many threads"));
    form->addRow(tr("CPUs per run"), cpus_);
    memory_ = new QLineEdit;
    memory_->setPlaceholderText(tr("the partition's default; e.g. 16G"));
    form->addRow(tr("Memory per run"), memory_);
    time_ = new QLineEdit;
    time_->setPlaceholderText(tr("the partition's limit; e.g. 4:00:00"));
    time_->setToolTip(tr("sbatch --time per run. Two minutes before it, the run checkpoints and its task is requeued: "
                         "it continues from the checkpoint"));
    form->addRow(tr("Time limit"), time_);
    maxParallel_ = new QSpinBox;
    maxParallel_->setRange(0, 100000);
    maxParallel_->setSpecialValueText(tr("no limit"));
    maxParallel_->setToolTip(tr("At most this many runs of an array at once (the array's %K)"));
    form->addRow(tr("At most at once"), maxParallel_);
    template_ = new QLineEdit;
    template_->setPlaceholderText(tr("Distillery's"));
    template_->setToolTip(tr("Your batch script, e.g. with module loads: start from Show batch script…, keep its "
                             "@ENGINE@ and @LIST@ markers"));
    form->addRow(tr("Batch script"),
                 FormFields::withBrowseButton(template_, tr("Batch script template"), tr("Scripts (*.sh);;All files (*)")));
    auto* show = new QPushButton(tr("Show batch script…"));
    connect(show, &QPushButton::clicked, this, &ClusterTarget::showBatchScript);
    form->addRow(QString(), show);

    auto* runOnRow = new QHBoxLayout;
    runOnRow->setContentsMargins(0, 0, 0, 0);
    auto* label = new QLabel(tr("&Run on:"));
    label->setBuddy(runOn_);
    runOnRow->addWidget(label);
    runOnRow->addWidget(runOn_);
    runOnRow->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(runOnRow);
    layout->addWidget(slurm_);

    QSettings settings;
    settings.beginGroup(QLatin1String(kSettingsGroup));
    sharedRoot_->setText(settings.value(QStringLiteral("sharedFolder")).toString());
    partition_->setText(settings.value(QStringLiteral("partition")).toString());
    gres_->setText(settings.value(QStringLiteral("gres")).toString());
    cpus_->setValue(settings.value(QStringLiteral("cpus"), 0).toInt());
    memory_->setText(settings.value(QStringLiteral("memory")).toString());
    time_->setText(settings.value(QStringLiteral("time")).toString());
    maxParallel_->setValue(settings.value(QStringLiteral("maxParallel"), 0).toInt());
    template_->setText(settings.value(QStringLiteral("template")).toString());
    settings.endGroup();

    slurm_->setVisible(false);
    connect(runOn_, &QComboBox::currentIndexChanged, this, [this] {
        slurm_->setVisible(onSlurm());
        emit changed();
    });
    for (QLineEdit* line : {sharedRoot_, partition_, gres_, memory_, time_, template_})
        connect(line, &QLineEdit::textChanged, this, &ClusterTarget::changed);
    for (QSpinBox* spin : {cpus_, maxParallel_}) connect(spin, &QSpinBox::valueChanged, this, &ClusterTarget::changed);
}

bool ClusterTarget::onSlurm() const { return runOn_->currentIndex() == 1; }

void ClusterTarget::setOnSlurm(bool slurm) { runOn_->setCurrentIndex(slurm ? 1 : 0); }

ClusterSubmission ClusterTarget::submission() const {
    ClusterSubmission s;
    s.sharedRoot = sharedRoot_->text().trimmed();
    s.slurm.partition = partition_->text().trimmed().toStdString();
    s.slurm.gres = gres_->text().trimmed().toStdString();
    s.slurm.cpus = cpus_->value();
    s.slurm.memory = memory_->text().trimmed().toStdString();
    s.slurm.time = time_->text().trimmed().toStdString();
    s.slurm.maxParallel = maxParallel_->value();
    s.templatePath = template_->text().trimmed();
    return s;
}

void ClusterTarget::remember() const {
    QSettings settings;
    settings.beginGroup(QLatin1String(kSettingsGroup));
    settings.setValue(QStringLiteral("sharedFolder"), sharedRoot_->text().trimmed());
    settings.setValue(QStringLiteral("partition"), partition_->text().trimmed());
    settings.setValue(QStringLiteral("gres"), gres_->text().trimmed());
    settings.setValue(QStringLiteral("cpus"), cpus_->value());
    settings.setValue(QStringLiteral("memory"), memory_->text().trimmed());
    settings.setValue(QStringLiteral("time"), time_->text().trimmed());
    settings.setValue(QStringLiteral("maxParallel"), maxParallel_->value());
    settings.setValue(QStringLiteral("template"), template_->text().trimmed());
    settings.endGroup();
}

QString ClusterTarget::problem() const {
    if (!onSlurm()) return {};
    const QString root = sharedRoot_->text().trimmed();
    if (!root.isEmpty() && QDir::isRelativePath(root))
        return tr("Shared folder: give an absolute path (%1 is relative): compute nodes resolve it from elsewhere")
            .arg(root);
    QString error;
    batchScript(&error);
    return error;
}

QString ClusterTarget::batchScript(QString* error) const {
    std::string text = cluster::defaultBatchScript();
    const QString path = template_->text().trimmed();
    if (!path.isEmpty()) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            if (error) *error = tr("Batch script: cannot read %1 (%2)").arg(path, file.errorString());
            return {};
        }
        text = file.readAll().toStdString();
    }
    try {
        return QString::fromStdString(cluster::renderBatchScript(text, "distillery-engine", "<the array's list of run folders>"));
    } catch (const std::invalid_argument& e) {
        if (error) *error = tr("Batch script %1: %2").arg(path, QString::fromUtf8(e.what()));
        return {};
    }
}

void ClusterTarget::showBatchScript() {
    QString error;
    const QString script = batchScript(&error);
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Batch script"));
    auto* note = new QLabel(error.isEmpty() ? tr("Each array task runs this script with sbatch. To change it (module "
                                                 "loads, a container), save it, edit it keeping @ENGINE@ and @LIST@, "
                                                 "and choose it as the batch script. "
                                                 "`distillery-engine submit --print-template` prints the same.")
                                            : error);
    note->setWordWrap(true);
    auto* text = new QPlainTextEdit(script);
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::NoWrap);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(note);
    layout->addWidget(text, 1);
    layout->addWidget(buttons);
    dialog.resize(760, 560);
    dialog.exec();
}

}  // namespace distillery::views
