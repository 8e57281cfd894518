#pragma once
// The Okabe–Ito qualitative palette (Okabe & Ito 2008): eight colours that stay distinct under the
// common forms of colour blindness. Black comes last so that it is used only after the others.
#include <QColor>

namespace distillery::views {

class OkabeItoPalette {
public:
    static constexpr int kSize = 8;
    static QColor color(int index) {
        static const QRgb colors[kSize] = {
            qRgb(0x00, 0x72, 0xB2),   // blue
            qRgb(0xE6, 0x9F, 0x00),   // orange
            qRgb(0x00, 0x9E, 0x73),   // bluish green
            qRgb(0xD5, 0x5E, 0x00),   // vermillion
            qRgb(0x56, 0xB4, 0xE9),   // sky blue
            qRgb(0xCC, 0x79, 0xA7),   // reddish purple
            qRgb(0xF0, 0xE4, 0x42),   // yellow
            qRgb(0x00, 0x00, 0x00),   // black
        };
        return QColor(colors[((index % kSize) + kSize) % kSize]);
    }
};

}  // namespace distillery::views
