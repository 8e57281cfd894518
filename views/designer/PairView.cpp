#include "PairView.h"

#include <algorithm>
#include <cmath>

#include <QEvent>
#include <QHash>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include "OkabeItoPalette.h"

namespace distillery::views {

namespace {

constexpr qreal kMargin = 8;
constexpr qreal kBoxHeight = 34;
constexpr qreal kHeadWidth = 74;
constexpr qreal kGap = 10;
constexpr qreal kMaxBoxWidth = 120;
constexpr qreal kMinBandHeight = 48;
constexpr qreal kSpotOffset = 7;   // between lines that join the same two boxes

QString headLabel(int stage, const std::optional<NetDescription>& net) {
    if (stage == SpotDescription::kLogits) return QStringLiteral("logits");
    if (net && !net->stages.isEmpty()) return QStringLiteral("pooled %1").arg(net->stages.last().channels);
    return QStringLiteral("pooled");
}

}  // namespace

PairView::PairView(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setMessage(tr("The pair appears here once the spec names a student."));
}

void PairView::setDescription(const PairDescription& description) {
    description_ = description;
    hasDescription_ = true;
    message_.clear();
    relayout();
}

void PairView::setMessage(const QString& message) {
    message_ = message;
    hasDescription_ = false;
    description_ = PairDescription{};
    relayout();
}

QStringList PairView::stageLabels(bool teacher) const {
    QStringList labels;
    for (const Box& box : layout_.boxes)
        if (box.teacher == teacher && box.stage >= 0) labels << box.label;
    return labels;
}

QString PairView::rowLabel(bool teacher) const {
    const auto& net = teacher ? description_.teacher : description_.student;
    const QString role = teacher ? tr("Teacher") : tr("Student");
    if (!net) return teacher ? tr("No teacher") : tr("No student");
    return QStringLiteral("%1 · %2 · %3").arg(role, net->model, net->paramsText());
}

QSize PairView::sizeHint() const { return {640, std::max(layout_.height, 160)}; }
QSize PairView::minimumSizeHint() const { return {layout_.minimumWidth, std::max(layout_.height, 120)}; }

void PairView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    relayout();
}

void PairView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) relayout();
    if (event->type() == QEvent::PaletteChange) update();
}

void PairView::relayout() {
    const int before = layout_.height, minimumBefore = layout_.minimumWidth;
    layout_ = computeLayout(width());
    if (layout_.height != before || layout_.minimumWidth != minimumBefore) updateGeometry();
    update();
}

PairView::Layout PairView::computeLayout(int width) const {
    Layout out;
    if (!hasDescription_) {
        out.height = 120;
        return out;
    }
    const QFontMetricsF metrics(font());
    const qreal lineHeight = metrics.height();

    // The row labels take the left column, as wide as the longer one needs (within reason): the
    // role and model in bold, the parameter count below.
    QFont bold = font();
    bold.setBold(true);
    const QFontMetricsF boldMetrics(bold);
    qreal labelWidth = 0;
    for (const auto* net : {&description_.teacher, &description_.student})
        if (*net)
            labelWidth = std::max({labelWidth, boldMetrics.horizontalAdvance(tr("Teacher") + QStringLiteral(" · ") + (*net)->model),
                                   metrics.horizontalAdvance((*net)->paramsText())});
    labelWidth = std::clamp(labelWidth + 8, 110.0, 260.0);
    bool pooled = false, logits = false;
    for (const SpotDescription& spot : description_.spots) {
        pooled |= spot.studentStage == SpotDescription::kPooled || spot.teacherStage == SpotDescription::kPooled;
        logits |= spot.studentStage == SpotDescription::kLogits || spot.teacherStage == SpotDescription::kLogits;
    }
    const int heads = int(pooled) + int(logits);
    const qreal left = kMargin + labelWidth + kGap;
    // Below the width every C×H×W label needs, the view grows a scroll bar instead of cutting labels.
    qreal widestStage = 0;
    int mostStages = 0;
    for (const auto* net : {&description_.teacher, &description_.student})
        if (*net) {
            mostStages = std::max(mostStages, int((*net)->stages.size()));
            for (const auto& stage : (*net)->stages) widestStage = std::max(widestStage, metrics.horizontalAdvance(stage.label()));
        }
    const qreal stagesWidth = mostStages * (widestStage + 12 + kGap);
    out.minimumWidth = int(std::ceil(left + stagesWidth + heads * (kHeadWidth + kGap) + kMargin));
    const qreal right = std::max<qreal>(left + std::max<qreal>(80, stagesWidth), width - kMargin - heads * (kHeadWidth + kGap));

    // Each row spreads its stages over the same span, so relative depths line up.
    struct Slots {
        QList<QRectF> stages;
        QRectF pooled, logits;
    };
    const auto rowSlots = [&](const std::optional<NetDescription>& net, qreal y) {
        Slots s;
        const int n = net ? int(net->stages.size()) : 0;
        if (n > 0) {
            const qreal span = (right - left) / n;
            const qreal boxWidth = std::min(kMaxBoxWidth, span - kGap);
            for (int i = 0; i < n; ++i)
                s.stages.append(QRectF(left + i * span + (span - boxWidth) / 2, y, boxWidth, kBoxHeight));
        }
        qreal x = right + kGap;
        if (pooled) {
            s.pooled = QRectF(x, y, kHeadWidth, kBoxHeight);
            x += kHeadWidth + kGap;
        }
        if (logits) s.logits = QRectF(x, y, kHeadWidth, kBoxHeight);
        return s;
    };
    const auto boxFor = [](const Slots& s, int stage) -> QRectF {
        if (stage == SpotDescription::kPooled) return s.pooled;
        if (stage == SpotDescription::kLogits) return s.logits;
        return stage >= 0 && stage < s.stages.size() ? s.stages[stage] : QRectF();
    };

    // First the spot labels, stacked in the band between the rows wherever they would overlap; the
    // band's height then places the student row.
    const qreal teacherY = kMargin;
    const Slots teacherTop = rowSlots(description_.teacher, teacherY);
    const Slots studentAtZero = rowSlots(description_.student, 0);
    struct Pending {
        SpotLine line;
        qreal xTeacher, xStudent;
    };
    QList<Pending> pending;
    QHash<QPair<int, int>, int> perPair, seenPerPair;
    for (const SpotDescription& spot : description_.spots) ++perPair[{spot.teacherStage, spot.studentStage}];
    const qreal labelMaxWidth = std::clamp((right - left) / std::max<qreal>(1, description_.spots.size()) - kGap, 110.0, 220.0);
    QList<QRectF> placed;
    for (const SpotDescription& spot : description_.spots) {
        const QRectF t = boxFor(teacherTop, spot.teacherStage), s = boxFor(studentAtZero, spot.studentStage);
        if (t.isNull() || s.isNull()) continue;   // a stage the nets do not have: nothing to join
        const QPair<int, int> key{spot.teacherStage, spot.studentStage};
        const qreal offset = (seenPerPair[key]++ - (perPair[key] - 1) / 2.0) * kSpotOffset;
        Pending p;
        p.line.name = spot.name;
        p.line.connector = spot.connector;
        p.line.teacherStage = spot.teacherStage;
        p.line.studentStage = spot.studentStage;
        p.line.labelText = spot.connector == QLatin1String("none") || spot.connector.isEmpty()
                               ? spot.name
                               : spot.name + QStringLiteral(": ") + spot.connector;
        p.xTeacher = t.center().x() + offset;
        p.xStudent = s.center().x() + offset;
        const QRectF text = metrics.boundingRect(QRectF(0, 0, labelMaxWidth, 1e6), Qt::TextWordWrap, p.line.labelText);
        QRectF label(0, 0, text.width() + 8, text.height() + 4);
        const qreal mid = (p.xTeacher + p.xStudent) / 2;
        label.moveLeft(std::clamp(mid - label.width() / 2, kMargin, std::max<qreal>(kMargin, width - kMargin - label.width())));
        label.moveTop(lineHeight * 0.5);
        bool moved = true;
        while (moved) {
            moved = false;
            for (const QRectF& other : placed)
                if (other.adjusted(-2, -2, 2, 2).intersects(label)) {
                    label.moveTop(other.bottom() + 4);
                    moved = true;
                }
        }
        placed.append(label);
        p.line.labelRect = label;
        pending.append(p);
    }
    qreal band = kMinBandHeight;
    for (const QRectF& r : placed) band = std::max(band, r.bottom() + lineHeight * 0.5);

    const qreal bandTop = teacherY + kBoxHeight;
    const qreal studentY = bandTop + band;
    const Slots studentRow = rowSlots(description_.student, studentY);
    const auto addBoxes = [&](const Slots& s, const std::optional<NetDescription>& net, bool teacher) {
        if (!net) return;
        for (int i = 0; i < s.stages.size(); ++i) out.boxes.append({teacher, i, net->stages[i].label(), s.stages[i]});
        if (pooled) out.boxes.append({teacher, SpotDescription::kPooled, headLabel(SpotDescription::kPooled, net), s.pooled});
        if (logits) out.boxes.append({teacher, SpotDescription::kLogits, headLabel(SpotDescription::kLogits, net), s.logits});
    };
    addBoxes(teacherTop, description_.teacher, true);
    addBoxes(studentRow, description_.student, false);
    for (Pending& p : pending) {
        p.line.line = QLineF(p.xTeacher, bandTop, p.xStudent, studentY);
        p.line.labelRect.translate(0, bandTop);
        out.spots.append(p.line);
    }
    out.teacherLabel = QRectF(kMargin, teacherY, labelWidth, kBoxHeight);
    out.studentLabel = QRectF(kMargin, studentY, labelWidth, kBoxHeight);
    out.height = int(std::ceil(studentY + kBoxHeight + kMargin));
    return out;
}

void PairView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette& pal = palette();
    if (!hasDescription_) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, message_);
        return;
    }

    QFont bold = font();
    bold.setBold(true);
    const auto drawRowLabel = [&](const QRectF& r, bool teacher) {
        const auto& net = teacher ? description_.teacher : description_.student;
        painter.setPen(pal.color(QPalette::WindowText));
        painter.setFont(bold);
        const QString role = teacher ? tr("Teacher") : tr("Student");
        if (!net) {
            painter.setPen(pal.color(QPalette::PlaceholderText));
            painter.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, teacher ? tr("No teacher") : tr("No student"));
            return;
        }
        const QString title = QFontMetricsF(bold).elidedText(role + QStringLiteral(" · ") + net->model, Qt::ElideRight, r.width());
        painter.drawText(r, Qt::AlignLeft | Qt::AlignTop, title);
        painter.setFont(font());
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(r, Qt::AlignLeft | Qt::AlignBottom, net->paramsText());
    };
    drawRowLabel(layout_.teacherLabel, true);
    drawRowLabel(layout_.studentLabel, false);
    painter.setFont(font());

    // Lines under the boxes and labels, so each ends at a box's edge and passes under its label.
    for (int i = 0; i < layout_.spots.size(); ++i) {
        painter.setPen(QPen(OkabeItoPalette::color(i), 2));
        painter.drawLine(layout_.spots[i].line);
    }
    for (const Box& box : layout_.boxes) {
        const bool head = box.stage < 0;
        painter.setPen(QPen(pal.color(QPalette::Mid), 1));
        painter.setBrush(pal.color(head ? QPalette::AlternateBase : QPalette::Button));
        painter.drawRoundedRect(box.rect, 4, 4);
        painter.setPen(pal.color(QPalette::ButtonText));
        painter.drawText(box.rect, Qt::AlignCenter, box.label);
    }
    for (int i = 0; i < layout_.spots.size(); ++i) {
        const SpotLine& spot = layout_.spots[i];
        painter.setPen(QPen(OkabeItoPalette::color(i), 1));
        painter.setBrush(pal.color(QPalette::Base));
        painter.drawRoundedRect(spot.labelRect, 3, 3);
        painter.setPen(pal.color(QPalette::Text));
        painter.drawText(spot.labelRect.adjusted(4, 2, -4, -2), Qt::AlignCenter | Qt::TextWordWrap, spot.labelText);
    }
}

}  // namespace distillery::views
