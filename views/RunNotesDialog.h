#pragma once
// "Tags and note…" for the runs selected in the runs list: a tags line (comma-separated, completing
// the store's existing tags) and a multi-line note.
//  - One run: the fields start with its tags and note, and saving makes the run's tags exactly those
//    of the line (tags taken out are removed) and its note the text.
//  - Several runs: the tags entered are added to every one of them; the note is off (one note is
//    written for one run, never copied over several).
// Saving writes through the store the window owns, as queueing and deleting do. A tag the store
// refuses (a control character) is shown in the dialog in plain words and nothing is written; the
// dialog stays open to fix it.
#include <QDialog>
#include <QList>
#include <QStringList>

#include "store/StoreTypes.h"

class QLineEdit;
class QPlainTextEdit;

namespace distillery::store {
class Store;
}

namespace distillery::views {

class ErrorLabel;

class RunNotesDialog : public QDialog {
    Q_OBJECT
public:
    // runs: the selected runs, as listed (their current tags and note); knownTags: what the completer offers.
    RunNotesDialog(store::Store* store, const QList<store::RunRow>& runs, const QStringList& knownTags,
                   QWidget* parent = nullptr);

    QLineEdit* tagsEdit() const { return tags_; }
    QPlainTextEdit* noteEdit() const { return note_; }
    QString errorText() const;   // empty while nothing went wrong

    // Writes what the fields say. False, with the error shown, when the store refused.
    bool save();
    // "a, b ,,c" -> {"a", "b", "c"}: split at commas, each trimmed, empty parts dropped (a trailing
    // comma is how a tag list is typed, not an empty tag).
    static QStringList parseTags(const QString& text);

public slots:
    void accept() override;   // saves; closes only when saving worked

private:
    void showError(const QString& message);

    store::Store* store_;
    QList<store::RunRow> runs_;
    QLineEdit* tags_;
    QPlainTextEdit* note_;
    ErrorLabel* error_;
};

}  // namespace distillery::views
