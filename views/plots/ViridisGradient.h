#pragma once
// A viridis-like colour gradient (perceptually uniform, colour-blind safe, readable in grey) for heat
// maps; QCustomPlot 2.1 has no such preset. Cells without data (NaN) stay transparent.
#include <qcustomplot.h>

namespace distillery::views {

class ViridisGradient {
public:
    static QCPColorGradient make() {
        // Matplotlib's viridis sampled at nine evenly spaced positions.
        static const QRgb stops[] = {0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d,
                                     0x27ad81, 0x5cc863, 0xaadc32, 0xfde725};
        constexpr int count = sizeof stops / sizeof stops[0];
        QCPColorGradient gradient;
        gradient.clearColorStops();
        for (int i = 0; i < count; ++i) gradient.setColorStopAt(double(i) / (count - 1), QColor(stops[i]));
        gradient.setColorInterpolation(QCPColorGradient::ciRGB);
        gradient.setNanHandling(QCPColorGradient::nhTransparent);
        gradient.setLevelCount(256);
        return gradient;
    }
};

}  // namespace distillery::views
