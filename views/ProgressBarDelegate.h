#pragma once
// Draws the runs table's progress cell as a progress bar while a run trains (RunsTableModel's
// ProgressRole), and as plain text otherwise.
#include <QStyledItemDelegate>

namespace distillery::views {

class ProgressBarDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace distillery::views
