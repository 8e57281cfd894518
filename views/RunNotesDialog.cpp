#include "RunNotesDialog.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "Counted.h"
#include "ErrorLabel.h"
#include "PlainText.h"
#include "store/Store.h"

namespace distillery::views {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

// Completes the tag being typed after the last comma, keeping the tags before it: a QCompleter
// alone would complete (and replace) the whole line.
class TagListCompleter : public QCompleter {
public:
    TagListCompleter(const QStringList& tags, QLineEdit* edit) : QCompleter(tags, edit), edit_(edit) {
        setCaseSensitivity(Qt::CaseInsensitive);
        setCompletionMode(QCompleter::PopupCompletion);
    }

    QStringList splitPath(const QString& path) const override {
        return {path.section(QLatin1Char(','), -1).trimmed()};
    }

    QString pathFromIndex(const QModelIndex& index) const override {
        const QString text = edit_->text();
        const int comma = static_cast<int>(text.lastIndexOf(QLatin1Char(',')));
        const QString before = comma < 0 ? QString() : text.left(comma + 1) + QLatin1Char(' ');
        return before + index.data().toString();
    }

private:
    QLineEdit* edit_;
};

std::vector<std::string> toStd(const QStringList& texts) {
    std::vector<std::string> out;
    for (const QString& text : texts) out.push_back(text.toStdString());
    return out;
}

}  // namespace

RunNotesDialog::RunNotesDialog(store::Store* store, const QList<store::RunRow>& runs, const QStringList& knownTags,
                               QWidget* parent)
    : QDialog(parent), store_(store), runs_(runs), tags_(new QLineEdit(this)), note_(new QPlainTextEdit(this)),
      error_(new ErrorLabel(this)) {
    const bool oneRun = runs_.size() == 1;
    setWindowTitle(plainWindowTitle(oneRun ? tr("Tags and note of “%1”").arg(fromStd(runs_.first().name))
                                           : tr("Tags for %1").arg(counted(static_cast<int>(runs_.size()),
                                                                           tr("run"), tr("runs")))));

    tags_->setCompleter(new TagListCompleter(knownTags, tags_));
    tags_->setClearButtonEnabled(true);
    if (oneRun) {
        QStringList current;
        for (const std::string& tag : runs_.first().tags) current.append(fromStd(tag));
        tags_->setText(current.join(QStringLiteral(", ")));
        tags_->setPlaceholderText(tr("ablation, baseline"));
        note_->setPlainText(fromStd(runs_.first().note));
    } else {
        tags_->setPlaceholderText(tr("Tags to add to each of the %1 runs: ablation, baseline").arg(runs_.size()));
        // One note describes one run; the same text pasted over several would outlive its truth.
        note_->setEnabled(false);
        note_->setPlaceholderText(tr("A note belongs to one run: select only that run to write it."));
    }
    tags_->setToolTip(tr("Comma-separated. Filter the runs list by one with tag:name."));
    note_->setTabChangesFocus(true);

    auto* form = new QFormLayout;
    form->addRow(tr("&Tags:"), tags_);
    form->addRow(tr("&Note:"), note_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &RunNotesDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(error_);
    layout->addWidget(buttons);
    resize(460, 280);
}

QString RunNotesDialog::errorText() const { return error_->text(); }

void RunNotesDialog::showError(const QString& message) { error_->setError(message); }

QStringList RunNotesDialog::parseTags(const QString& text) {
    QStringList tags;
    for (const QString& part : text.split(QLatin1Char(','))) {
        const QString tag = part.trimmed();
        if (!tag.isEmpty() && !tags.contains(tag)) tags.append(tag);
    }
    return tags;
}

bool RunNotesDialog::save() {
    showError(QString());
    if (!store_ || runs_.isEmpty()) return false;
    const QStringList entered = parseTags(tags_->text());
    try {
        // addRunTags checks every tag before it writes any, and every run gets the same tags: a
        // refused tag throws on the first call, before anything (the note included) is written.
        if (runs_.size() == 1) {
            const store::RunRow& run = runs_.first();
            QStringList removed;
            for (const std::string& tag : run.tags)
                if (!entered.contains(fromStd(tag))) removed.append(fromStd(tag));
            if (!entered.isEmpty()) store_->addRunTags(run.id, toStd(entered));
            if (!removed.isEmpty()) store_->removeRunTags(run.id, toStd(removed));
            const std::string note = note_->toPlainText().toStdString();
            if (note != run.note) store_->setRunNote(run.id, note);
        } else if (!entered.isEmpty()) {
            for (const store::RunRow& run : runs_) store_->addRunTags(run.id, toStd(entered));
        }
    } catch (const std::invalid_argument& refused) {
        showError(tr("Nothing was saved: %1.").arg(QString::fromUtf8(refused.what())));
        return false;
    } catch (const std::exception& failure) {
        showError(tr("Saving to the results store failed: %1").arg(QString::fromUtf8(failure.what())));
        return false;
    }
    return true;
}

void RunNotesDialog::accept() {
    if (save()) QDialog::accept();
}

}  // namespace distillery::views
