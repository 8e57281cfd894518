#pragma once
// The pair at a glance: two rows of boxes, the teacher's stages above the student's, each labelled
// C×H×W, and a line at every spot the method distils with the connector it inserts there named on
// it. Spots on the pooled features or the logits go to head boxes at the right end of the rows.
// Painted with the widget's palette; the geometry is public so tests can check what is drawn.
#include <QLineF>
#include <QList>
#include <QRectF>
#include <QString>
#include <QWidget>

#include "PairDescription.h"

namespace distillery::views {

class PairView : public QWidget {
    Q_OBJECT
public:
    struct Box {
        bool teacher = false;
        int stage = 0;           // a stage index, or SpotDescription::kPooled / kLogits for a head box
        QString label;           // "16×28×28", "pooled 64", "logits"
        QRectF rect;
    };
    struct SpotLine {
        QString name;
        QString connector;
        int teacherStage = 0;
        int studentStage = 0;
        QLineF line;             // from the teacher's box to the student's
        QString labelText;       // what is written on the line
        QRectF labelRect;
    };

    explicit PairView(QWidget* parent = nullptr);

    void setDescription(const PairDescription& description);
    // Shows a line of text instead of the pair (nothing described yet, or the engine failed).
    void setMessage(const QString& message);
    const PairDescription& description() const { return description_; }
    bool hasDescription() const { return hasDescription_; }
    QString message() const { return message_; }

    QList<Box> boxes() const { return layout_.boxes; }
    QStringList stageLabels(bool teacher) const;   // the C×H×W labels of one row, in order
    QList<SpotLine> spotLines() const { return layout_.spots; }
    QString rowLabel(bool teacher) const;          // "Teacher · resnet20 · 272k params"

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct Layout {
        QList<Box> boxes;
        QList<SpotLine> spots;
        QRectF teacherLabel, studentLabel;
        int height = 0;
        int minimumWidth = 320;   // every box wide enough for its C×H×W label
    };
    Layout computeLayout(int width) const;
    void relayout();

    PairDescription description_;
    bool hasDescription_ = false;
    QString message_;
    Layout layout_;
};

}  // namespace distillery::views
