#include "RunLogView.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "RunLogModel.h"

namespace distillery::views {

RunLogView::RunLogView(QWidget* parent) : QWidget(parent) {
    model_ = new RunLogModel(this);
    table_ = new QTableView(this);
    table_->setModel(model_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(false);
    table_->verticalHeader()->setVisible(false);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    // Fixed widths from the widest text each column can hold: sizing to contents would re-measure
    // every row whenever events arrive.
    const QFontMetrics metrics = table_->fontMetrics();
    const int padding = 3 * metrics.horizontalAdvance(QLatin1Char('M'));
    table_->horizontalHeader()->resizeSection(RunLogModel::TimeColumn,
                                              metrics.horizontalAdvance(QStringLiteral("00:00:00")) + padding);
    table_->horizontalHeader()->resizeSection(RunLogModel::LevelColumn,
                                              metrics.horizontalAdvance(QStringLiteral("debug")) + padding);
    table_->horizontalHeader()->setStretchLastSection(true);

    stderrLabel_ = new QLabel(tr("Last lines of the engine's standard error:"), this);
    stderr_ = new QPlainTextEdit(this);
    stderr_->setReadOnly(true);
    stderr_->setLineWrapMode(QPlainTextEdit::NoWrap);
    stderr_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* stderrBox = new QWidget(this);
    auto* stderrLayout = new QVBoxLayout(stderrBox);
    stderrLayout->setContentsMargins(0, 0, 0, 0);
    stderrLayout->addWidget(stderrLabel_);
    stderrLayout->addWidget(stderr_);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(table_);
    splitter->addWidget(stderrBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    setStderrTail({});
}

void RunLogView::showRun(qint64 runId) {
    runId_ = runId;
    model_->clear();
    setStderrTail({});
}

void RunLogView::appendEvents(qint64 runId, const EventRows& rows) {
    if (runId != runId_) return;
    // Follow new events only when the reader is at the bottom; one reading older lines stays put.
    QScrollBar* bar = table_->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum();
    model_->appendEvents(rows);
    if (atBottom) table_->scrollToBottom();
}

void RunLogView::setStderrTail(const QStringList& lines) {
    stderr_->setPlainText(lines.join(QLatin1Char('\n')));
    stderr_->verticalScrollBar()->setValue(stderr_->verticalScrollBar()->maximum());
    stderr_->parentWidget()->setVisible(!lines.isEmpty());
}

QString RunLogView::stderrText() const { return stderr_->toPlainText(); }

}  // namespace distillery::views
