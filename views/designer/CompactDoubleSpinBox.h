#pragma once
// A QDoubleSpinBox for parameters whose ranges span many decades (1e-3 … 1e8): shows the value in
// its shortest form ("0.005", "30000", "1e+06") instead of a fixed number of decimals, and accepts
// typed exponents ("5e-3").
#include <QDoubleSpinBox>

namespace distillery::views {

class CompactDoubleSpinBox : public QDoubleSpinBox {
    Q_OBJECT
public:
    explicit CompactDoubleSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& position) const override;
};

}  // namespace distillery::views
